import CHDF5
import CZstd

/// The zstd HDF5 filter, registered in-process under its registered id 32015 so that files
/// compressed by h5py + hdf5plugin (or by Strata) read without any plugin installed.
///
/// Same contract as the hdf5plugin / HDF Group registered filter: `cd_values[0]` is the
/// compression level (optional, default 3); each chunk is one zstd frame that records its
/// decompressed size. Decoding also accepts several concatenated frames and frames without
/// a recorded size.
enum ZstdFilter {
    static let id: Int32 = 32015
    /// Refuse to allocate more than this for one chunk (HDF5 chunks are at most 4 GiB).
    static let maximumChunkBytes: UInt64 = 1 << 32

    private static let name: UnsafeMutablePointer<CChar> = strdupName("zstd (Strata built-in)")

    /// Registers the filter with the HDF5 library (called once by `HDF5Library`).
    static func register() {
        var filterClass = H5Z_class2_t(
            version: 1, id: id, encoder_present: 1, decoder_present: 1,
            name: UnsafePointer(name), can_apply: nil, set_local: nil, filter: zstdFilterCallback)
        _ = H5Zregister(&filterClass)
    }

    private static func strdupName(_ text: String) -> UnsafeMutablePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return pointer
    }

    /// Compresses `input` into one zstd frame at `level`; nil on failure.
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32) -> (UnsafeMutableRawPointer, Int)? {
        let bound = ZSTD_compressBound(input.count)
        guard ZSTD_isError(bound) == 0, let output = H5allocate_memory(bound, false) else { return nil }
        let written = ZSTD_compress(output, bound, input.baseAddress, input.count, level)
        guard ZSTD_isError(written) == 0 else {
            _ = H5free_memory(output)
            return nil
        }
        return (output, written)
    }

    /// Decompresses one or more zstd frames; nil on any error (HDF5 then reports the chunk as
    /// unreadable).
    static func decompress(_ input: UnsafeRawBufferPointer) -> (UnsafeMutableRawPointer, Int)? {
        guard let source = input.baseAddress else { return nil }
        let declared = totalContentSize(input)
        if let declared {
            guard declared <= maximumChunkBytes else { return nil }
            let size = Int(declared)
            guard let output = H5allocate_memory(max(size, 1), false) else { return nil }
            let produced = ZSTD_decompress(output, size, source, input.count)
            guard ZSTD_isError(produced) == 0, produced == size else {
                _ = H5free_memory(output)
                return nil
            }
            return (output, size)
        }
        return decompressStreaming(input)
    }

    /// Sum of the content sizes recorded in every frame, or nil when a frame does not record
    /// its size or the input is not a sequence of zstd frames.
    private static func totalContentSize(_ input: UnsafeRawBufferPointer) -> UInt64? {
        guard let base = input.baseAddress else { return nil }
        var total: UInt64 = 0
        var position = 0
        while position < input.count {
            let remaining = input.count - position
            let size = ZSTD_getFrameContentSize(base + position, remaining)
            guard size < UInt64.max - 1 else { return nil } // unknown or error
            let frameLength = ZSTD_findFrameCompressedSize(base + position, remaining)
            guard ZSTD_isError(frameLength) == 0, frameLength > 0 else { return nil }
            total += size
            position += frameLength
        }
        return total
    }

    /// Frames that do not record their size: decode with a growing buffer.
    private static func decompressStreaming(_ input: UnsafeRawBufferPointer) -> (UnsafeMutableRawPointer, Int)? {
        guard let stream = ZSTD_createDStream() else { return nil }
        defer { ZSTD_freeDStream(stream) }
        var capacity = max(input.count * 4, 1 << 16)
        guard var output = H5allocate_memory(capacity, false) else { return nil }
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var produced = 0
        while true {
            var outBuffer = ZSTD_outBuffer(dst: output + produced, size: capacity - produced, pos: 0)
            let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                _ = H5free_memory(output)
                return nil
            }
            produced += outBuffer.pos
            if inBuffer.pos == inBuffer.size && hint == 0 { return (output, produced) }
            if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size {
                _ = H5free_memory(output) // truncated frame
                return nil
            }
            if produced == capacity {
                guard UInt64(capacity) * 2 <= maximumChunkBytes,
                    let larger = H5resize_memory(output, capacity * 2)
                else {
                    _ = H5free_memory(output)
                    return nil
                }
                output = larger
                capacity *= 2
            }
        }
    }
}

/// The `H5Z_func_t` HDF5 calls for each chunk: forward (compress) or reverse (decompress).
/// Replaces `*buffer` with a new allocation and returns the number of valid bytes, or 0 on failure.
private let zstdFilterCallback: H5Z_func_t = { flags, valueCount, values, byteCount, bufferSize, buffer in
    guard let buffer, let bufferSize, let input = buffer.pointee else { return 0 }
    let source = UnsafeRawBufferPointer(start: input, count: byteCount)
    let result: (UnsafeMutableRawPointer, Int)?
    if flags & UInt32(H5Z_FLAG_REVERSE) != 0 {
        result = ZstdFilter.decompress(source)
    } else {
        let level: Int32 = (valueCount > 0 && values != nil) ? Int32(bitPattern: values![0]) : 3
        result = ZstdFilter.compress(source, level: level)
    }
    guard let (output, size) = result else { return 0 }
    _ = H5free_memory(input)
    buffer.pointee = output
    bufferSize.pointee = size
    return size
}
