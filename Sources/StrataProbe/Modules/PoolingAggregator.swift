/// Direct pooling (mean or max over valid rows) and the last-valid-row readout, forward next to backward.
enum PoolingAggregator {
    /// Max pooling keeps the argmax of each of the `width` columns; mean pooling and the last row keep nothing.
    static func workspace(mode: PoolMode, width d: Int) -> AggregatorWorkspace {
        AggregatorWorkspace(cacheIndices: mode == .max ? d : 0)
    }

    static func forward(
        mode: PoolMode, x: UnsafePointer<Float>, rows: Int, mask: UnsafePointer<UInt8>?, width d: Int,
        cache: AggregatorCache, out: UnsafeMutablePointer<Float>
    ) {
        switch mode {
        case .mean:
            ReductionOps.maskedMeanForward(x: x, mask: mask, rows: rows, width: d, y: out)
        case .max:
            ReductionOps.maskedMaxForward(x: x, mask: mask, rows: rows, width: d, y: out, argmax: cache.indices.ensure(d))
        }
    }

    static func backward(
        mode: PoolMode, rows: Int, mask: UnsafePointer<UInt8>?, width d: Int,
        cache: AggregatorCache, dOut: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>?
    ) {
        guard let dX else { return }
        switch mode {
        case .mean: ReductionOps.maskedMeanBackward(dY: dOut, mask: mask, rows: rows, width: d, dX: dX)
        case .max: ReductionOps.maskedMaxBackward(dY: dOut, argmax: cache.indices.pointer, width: d, dX: dX)
        }
    }

    static func lastRowForward(
        x: UnsafePointer<Float>, rows: Int, mask: UnsafePointer<UInt8>?, width d: Int,
        cache: AggregatorCache, out: UnsafeMutablePointer<Float>
    ) {
        var last = -1
        for i in stride(from: rows - 1, through: 0, by: -1) where mask == nil || mask![i] != 0 { last = i; break }
        cache.lastRow = last
        if last < 0 { out.update(repeating: 0, count: d) } else { out.update(from: x + last * d, count: d) }
    }

    static func lastRowBackward(width d: Int, cache: AggregatorCache, dOut: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>?) {
        guard let dX, cache.lastRow >= 0 else { return }
        ElementwiseOps.axpy(1, dOut, dX + cache.lastRow * d, count: d)
    }
}
