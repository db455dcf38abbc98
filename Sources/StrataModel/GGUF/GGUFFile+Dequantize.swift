import Dispatch

extension GGUFFile {
    /// Tensors with at least this many elements are dequantised on several threads.
    static let parallelThreshold = 1 << 18

    /// The tensor as 32-bit floats, row-major with `shape[0]` fastest (the ggml order).
    public func dequantize(_ tensor: GGUFTensorInfo) throws -> [Float] {
        let count = tensor.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try dequantize(tensor, into: buffer)
            initialized = count
        }
    }

    /// Dequantises the tensor into `into`, which must hold at least `elementCount` floats.
    /// Large tensors are split by rows across threads.
    public func dequantize(_ tensor: GGUFTensorInfo, into output: UnsafeMutableBufferPointer<Float>) throws {
        let count = tensor.elementCount
        guard output.count >= count else {
            throw GGUFError(
                .malformed, file: path, "output buffer for tensor '\(tensor.name)' holds \(output.count) floats, needs \(count)")
        }
        guard contains(tensor), tensor.type.byteCount(elements: count) == tensor.byteCount else {
            throw GGUFError(.malformed, file: path, "tensor '\(tensor.name)' does not describe a byte range of this file")
        }
        let rowLength = tensor.rowLength, rows = tensor.rowCount
        guard count > 0, let base = rawBytes(of: tensor).baseAddress, let out = output.baseAddress else { return }
        guard let rowBytes = tensor.type.byteCount(elements: rowLength) else {
            throw GGUFError(
                .malformed, file: path,
                "tensor '\(tensor.name)' row length \(rowLength) is not a multiple of the \(tensor.type.name) block size")
        }
        do {
            if count < GGUFFile.parallelThreshold || rows == 1 {
                try dequantizeRow(type: tensor.type, source: base, count: count, into: out)
                return
            }
            // Split rows into chunks of roughly parallelThreshold/4 elements, at least one row each.
            let rowsPerChunk = max(1, (GGUFFile.parallelThreshold / 4) / rowLength)
            let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
            try tensor.type.requireDequantizable()
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let firstRow = chunk * rowsPerChunk
                let rowCount = min(rowsPerChunk, rows - firstRow)
                // Type and sizes were checked above, so this cannot throw.
                try? dequantizeRow(
                    type: tensor.type, source: base + firstRow * rowBytes,
                    count: rowCount * rowLength, into: out + firstRow * rowLength)
            }
        } catch let error as GGUFError {
            throw GGUFError(error.kind, file: path, "tensor '\(tensor.name)': \(error.message)")
        }
    }

    /// Dequantises rows `rows` of `tensor` (rows of `shape[0]` elements, e.g. a few token embeddings)
    /// into `into`, which must hold `rows.count × rowLength` floats.
    public func dequantizeRows(of tensor: GGUFTensorInfo, _ rows: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) throws {
        let rowLength = tensor.rowLength
        guard rows.lowerBound >= 0, rows.upperBound <= tensor.rowCount else {
            throw GGUFError(
                .malformed, file: path, "rows \(rows) of tensor '\(tensor.name)' are out of range (it has \(tensor.rowCount) rows)")
        }
        guard output.count >= rows.count * rowLength else {
            throw GGUFError(
                .malformed, file: path,
                "output buffer for rows \(rows) of tensor '\(tensor.name)' holds \(output.count) floats, needs \(rows.count * rowLength)")
        }
        guard contains(tensor), tensor.type.byteCount(elements: tensor.elementCount) == tensor.byteCount,
            let rowBytes = tensor.type.byteCount(elements: rowLength)
        else {
            throw GGUFError(.malformed, file: path, "tensor '\(tensor.name)' does not describe a byte range of this file")
        }
        guard !rows.isEmpty, let base = rawBytes(of: tensor).baseAddress, let out = output.baseAddress else { return }
        do {
            try dequantizeRow(type: tensor.type, source: base + rows.lowerBound * rowBytes, count: rows.count * rowLength, into: out)
        } catch let error as GGUFError {
            throw GGUFError(error.kind, file: path, "tensor '\(tensor.name)': \(error.message)")
        }
    }
}
