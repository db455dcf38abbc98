/// Assembles a padded `Batch` record by record: values are zero-filled B × L × T_max × d with
/// T_max the longest record, and the mask marks each record's first n tokens.
public struct PaddedBatchBuilder {
    public private(set) var batch: Batch
    private var next = 0

    /// `tokenCounts[b]` is record b's length; `featureWidth` > 0 for auxiliary features.
    public init(tokenCounts: [Int], layers: Int, hidden: Int, featureWidth: Int = 0, endsStep: Bool) {
        let t = tokenCounts.max() ?? 0, b = tokenCounts.count
        var mask = [UInt8](repeating: 0, count: b * t)
        for (i, n) in tokenCounts.enumerated() { for j in 0..<n { mask[i * t + j] = 1 } }
        batch = Batch(
            count: b, layers: layers, tokens: t, hidden: hidden,
            values: [Float](repeating: 0, count: featureWidth > 0 && layers == 0 ? 0 : b * layers * t * hidden),
            mask: mask, labels: [Int](repeating: -1, count: b), ids: [String](repeating: "", count: b),
            featureWidth: featureWidth, features: [Float](repeating: 0, count: b * featureWidth), endsStep: endsStep)
    }

    /// Bytes a padded batch of these lengths needs.
    public static func byteCount(tokenCounts: [Int], layers: Int, hidden: Int) -> Int {
        tokenCounts.count * (tokenCounts.max() ?? 0) * (layers * hidden * 4 + 1)
    }

    /// Copies record `slot`'s values from a layer-major [L][n][d] buffer into the padded layout.
    public mutating func setValues(slot: Int, from source: UnsafeBufferPointer<Float>, tokens n: Int) {
        let L = batch.layers, d = batch.hidden, T = batch.tokens
        guard n > 0, L > 0, d > 0, let src = source.baseAddress, source.count >= L * n * d else { return }
        batch.values.withUnsafeMutableBufferPointer { dst in
            for l in 0..<L {
                (dst.baseAddress! + ((slot * L + l) * T) * d).update(from: src + l * n * d, count: n * d)
            }
        }
    }

    /// Offset in `batch.values` where record `slot`'s layer `l` starts (rows of d, T_max rows).
    public func valueOffset(slot: Int, layer l: Int) -> Int { ((slot * batch.layers + l) * batch.tokens) * batch.hidden }

    /// Direct access to the padded values (to decode straight into them).
    public mutating func withValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try batch.values.withUnsafeMutableBufferPointer { try body($0) }
    }

    public mutating func setFeatures(slot: Int, _ values: [Float]) {
        let w = batch.featureWidth
        for j in 0..<min(w, values.count) { batch.features[slot * w + j] = values[j] }
    }

    public mutating func setLabel(slot: Int, _ label: Int, id: String) {
        batch.labels[slot] = label
        batch.ids[slot] = id
    }
}
