import CHDF5
import Foundation
import Strata
import StrataUtilities

/// An HDF5 dataset: its shape, type, chunking and filters; reads, writes, and raw chunk access.
public final class HDF5Dataset: HDF5Object {
    let handle: HDF5Handle
    public let filePath: String
    public let path: String
    public var objectID: hid_t { handle.id }

    init(opening name: String, in group: HDF5Group, chunkCacheBytes: Int?) throws {
        HDF5Library.prepare()
        filePath = group.filePath
        path = joinPath(group.path, name)
        let dapl = try HDF5Handle(
            H5Pcreate(H5P_CLS_DATASET_ACCESS_ID_g), closer: H5Pclose,
            file: filePath, object: path, operation: "create dataset access properties")
        if let chunkCacheBytes {
            // Slots: a prime well above the number of chunks the cache can hold.
            try checkHDF5(
                H5Pset_chunk_cache(dapl.id, 100_003, chunkCacheBytes, 1.0),
                file: filePath, object: path, "set chunk cache")
        }
        handle = try HDF5Handle(
            H5Dopen2(group.objectID, name, dapl.id), closer: H5Dclose,
            file: filePath, object: path, operation: "open dataset")
    }

    init(
        creating name: String, in group: HDF5Group, type: HDF5Datatype, shape: [Int], chunk: [Int]?,
        filters: [HDF5Filter]
    ) throws {
        HDF5Library.prepare()
        filePath = group.filePath
        path = joinPath(group.path, name)
        let space = try HDF5Dataspace(shape: shape)
        let dcpl = try HDF5Handle(
            H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g), closer: H5Pclose,
            file: filePath, object: path, operation: "create dataset properties")
        if let chunk {
            guard chunk.count == shape.count, chunk.allSatisfy({ $0 > 0 }) else {
                throw HDF5Error(
                    file: filePath, object: path, operation: "create dataset",
                    reason: "chunk shape \(chunk) does not fit dataset shape \(shape)")
            }
            let dims = chunk.map { hsize_t($0) }
            try checkHDF5(H5Pset_chunk(dcpl.id, Int32(dims.count), dims), file: filePath, object: path, "set chunk shape \(chunk)")
            for filter in filters {
                try checkHDF5(filter.apply(to: dcpl.id), file: filePath, object: path, "add filter \(filter)")
            }
        } else if !filters.isEmpty {
            throw HDF5Error(
                file: filePath, object: path, operation: "create dataset",
                reason: "filters need a chunked dataset; no chunk shape was given")
        }
        handle = try HDF5Handle(
            H5Dcreate2(group.objectID, name, type.id, space.id, HDF5Library.defaultID, dcpl.id, HDF5Library.defaultID),
            closer: H5Dclose, file: filePath, object: path, operation: "create dataset")
    }

    // MARK: Description

    public func shape() throws -> [Int] {
        HDF5Library.prepare()
        do {
            return try HDF5Dataspace(owning: H5Dget_space(objectID)).shape()
        } catch var error as HDF5Error {
            error.file = error.file ?? filePath
            error.object = error.object ?? path
            throw error
        }
    }

    func datatype() throws -> HDF5Datatype {
        HDF5Library.prepare()
        return try HDF5Datatype(owning: H5Dget_type(objectID), operation: "read type of \(path)")
    }

    /// The numeric element type, or nil for strings and other non-numeric types.
    public func elementType() throws -> HDF5ElementType? { try datatype().elementType }

    /// Words describing the stored type, for messages ("float32", "variable-length string", ...).
    public func typeSummary() throws -> String { try datatype().summary }

    public func isStringDataset() throws -> Bool { try datatype().isString }

    /// Whether the stored elements are little-endian (numeric types).
    public func storesLittleEndian() throws -> Bool { try datatype().isLittleEndian }

    private func creationProperties() throws -> HDF5Handle {
        try HDF5Handle(
            H5Dget_create_plist(objectID), closer: H5Pclose, file: filePath, object: path,
            operation: "read dataset creation properties")
    }

    /// The chunk shape, or nil when the dataset is contiguous or compact.
    public func chunkShape() throws -> [Int]? {
        HDF5Library.prepare()
        let dcpl = try creationProperties()
        guard H5Pget_layout(dcpl.id) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let rank = H5Pget_chunk(dcpl.id, 32, &dims)
        if rank < 0 { throw fail("read chunk shape") }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    /// The filter pipeline in the order HDF5 applies it when writing.
    public func filters() throws -> [HDF5FilterInfo] {
        HDF5Library.prepare()
        let dcpl = try creationProperties()
        let count = H5Pget_nfilters(dcpl.id)
        if count < 0 { throw fail("count filters") }
        var result: [HDF5FilterInfo] = []
        for index in 0..<UInt32(count) {
            var flags: UInt32 = 0
            var valueCount = 16
            var values = [UInt32](repeating: 0, count: 16)
            var name = [CChar](repeating: 0, count: 256)
            var config: UInt32 = 0
            let id = H5Pget_filter2(dcpl.id, index, &flags, &valueCount, &values, 256, &name, &config)
            if id < 0 { throw fail("read filter \(index)") }
            let available = H5Zfilter_avail(id) > 0
            result.append(
                HDF5FilterInfo(
                    id: id, name: String(cString: name),
                    clientValues: Array(values.prefix(min(valueCount, 16))),
                    isAvailable: available))
        }
        return result
    }

    // MARK: Reading and writing values

    /// Reads the block `start ..< start + count` (whole dataset when both are nil) into `buffer`,
    /// converted by HDF5 to `memoryType`. `buffer` must hold exactly the selected elements.
    public func read(
        into buffer: UnsafeMutableRawBufferPointer, as memoryType: HDF5ElementType,
        start: [Int]? = nil, count: [Int]? = nil
    ) throws {
        HDF5Library.prepare()
        let type = try memoryType.makeDatatype()
        try transfer(buffer.count, memoryType: memoryType, start: start, count: count, operation: "read") { memSpace, fileSpace in
            H5Dread(objectID, type.id, memSpace, fileSpace, HDF5Library.defaultID, buffer.baseAddress)
        }
    }

    /// Writes `buffer` (elements of `memoryType`) to the block `start ..< start + count`
    /// (whole dataset when both are nil).
    public func write(
        _ buffer: UnsafeRawBufferPointer, as memoryType: HDF5ElementType,
        start: [Int]? = nil, count: [Int]? = nil
    ) throws {
        HDF5Library.prepare()
        let type = try memoryType.makeDatatype()
        try transfer(buffer.count, memoryType: memoryType, start: start, count: count, operation: "write") { memSpace, fileSpace in
            H5Dwrite(objectID, type.id, memSpace, fileSpace, HDF5Library.defaultID, buffer.baseAddress)
        }
    }

    private func transfer(
        _ byteCount: Int, memoryType: HDF5ElementType, start: [Int]?, count: [Int]?,
        operation: String, _ body: (hid_t, hid_t) -> herr_t
    ) throws {
        let fileShape = try shape()
        let selection = count ?? fileShape
        let origin = start ?? [Int](repeating: 0, count: fileShape.count)
        guard selection.count == fileShape.count, origin.count == fileShape.count,
            zip(zip(origin, selection), fileShape).allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= $1 })
        else {
            throw HDF5Error(
                file: filePath, object: path, operation: operation,
                reason: "selection start \(origin) count \(selection) is outside shape \(fileShape)")
        }
        let elements = selection.reduce(1, *)
        guard elements * memoryType.byteWidth == byteCount else {
            throw HDF5Error(
                file: filePath, object: path, operation: operation,
                reason: "buffer holds \(byteCount) bytes, the selection needs \(elements * memoryType.byteWidth)")
        }
        if elements == 0 { return }
        if start == nil && count == nil {
            try check(body(HDF5Library.defaultID, HDF5Library.defaultID), "\(operation) values")
            return
        }
        let fileSpace = try HDF5Dataspace(owning: H5Dget_space(objectID))
        try fileSpace.selectBlock(start: origin, count: selection)
        let memSpace = try HDF5Dataspace(shape: selection)
        try check(body(memSpace.id, fileSpace.id), "\(operation) values at \(origin) count \(selection)")
    }

    /// The number of elements of the whole dataset, checked before a whole-dataset read allocates
    /// `bytesEach` bytes per element: the shape comes from the file (a tiny file can declare a huge
    /// array of unwritten chunks), so the read is refused past `HDF5ReadLimits.maxWholeReadBytes`.
    private func wholeReadCount(bytesEach: Int, operation: String) throws -> Int {
        let shape = try shape()
        let count = HDF5Dataspace.elementCount(shape)
        guard let count, count <= HDF5ReadLimits.maxWholeReadBytes / max(bytesEach, 1) else {
            throw HDF5Error(
                file: filePath, object: path, operation: operation,
                reason: "its shape \(shape) needs \(count.map { ByteSize.format($0 * bytesEach) } ?? "more than 8 EiB") in memory, "
                    + "over the limit of \(ByteSize.format(HDF5ReadLimits.maxWholeReadBytes)) Strata reads of one dataset at once")
        }
        return count
    }

    /// All values of an integer (or bool) dataset, as Int64.
    public func readIntegers() throws -> [Int64] {
        try readWhole(as: .int64, zero: Int64(0), kind: "integers") { $0.isInteger }
    }

    /// All values of a floating-point dataset, converted by HDF5 to float32.
    public func readFloats() throws -> [Float] {
        try readWhole(as: .float32, zero: Float(0), kind: "floating-point values") { $0.isFloat }
    }

    /// The whole dataset as `memoryType` values, when its stored type passes `accepts`.
    private func readWhole<T>(
        as memoryType: HDF5ElementType, zero: T, kind: String,
        accepts: (HDF5ElementType) -> Bool
    ) throws -> [T] {
        guard let type = try elementType(), accepts(type) else {
            throw HDF5Error(
                file: filePath, object: path, operation: "read \(kind)",
                reason: "the dataset holds \(try typeSummary()), not \(kind)")
        }
        let count = try wholeReadCount(bytesEach: MemoryLayout<T>.size, operation: "read \(kind)")
        var values = [T](repeating: zero, count: count)
        try values.withUnsafeMutableBytes { try read(into: $0, as: memoryType) }
        return values
    }

    /// All values of a one-dimensional string dataset (variable- or fixed-length).
    public func readStrings() throws -> [String] {
        HDF5Library.prepare()
        let type = try datatype()
        guard type.isString else {
            throw HDF5Error(
                file: filePath, object: path, operation: "read strings",
                reason: "the dataset holds \(type.summary), not strings")
        }
        let width = type.isVariableLengthString ? MemoryLayout<UnsafeMutablePointer<CChar>?>.size : type.size
        let count = try wholeReadCount(bytesEach: width, operation: "read strings")
        if count == 0 { return [] }
        if type.isVariableLengthString {
            let memType = try HDF5Datatype.variableLengthString()
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try check(
                H5Dread(
                    objectID, memType.id, HDF5Library.defaultID, HDF5Library.defaultID,
                    HDF5Library.defaultID, &pointers), "read strings")
            let space = try HDF5Dataspace(owning: H5Dget_space(objectID))
            defer { _ = H5Dvlen_reclaim(memType.id, space.id, HDF5Library.defaultID, &pointers) }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        var bytes = [UInt8](repeating: 0, count: width * count)
        try check(
            H5Dread(
                objectID, type.id, HDF5Library.defaultID, HDF5Library.defaultID,
                HDF5Library.defaultID, &bytes), "read strings")
        return (0..<count).map { decodeFixedString(bytes[$0 * width..<($0 + 1) * width]) }
    }

    func writeStrings(_ values: [String]) throws {
        let type = try HDF5Datatype.variableLengthString()
        var pointers: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try check(
            H5Dwrite(
                objectID, type.id, HDF5Library.defaultID, HDF5Library.defaultID,
                HDF5Library.defaultID, &pointers), "write strings")
    }

    // MARK: Raw chunks

    /// Writes one chunk's bytes exactly as given — already through the filter pipeline — at the
    /// chunk whose first element is at `offset`. `filterMask` bit i set = filter i was skipped.
    public func writeChunk(at offset: [Int], filterMask: UInt32 = 0, bytes: UnsafeRawBufferPointer) throws {
        HDF5Library.prepare()
        let origin = offset.map { hsize_t($0) }
        try check(
            H5Dwrite_chunk(objectID, HDF5Library.defaultID, filterMask, origin, bytes.count, bytes.baseAddress),
            "write raw chunk at \(offset)")
    }

    /// Where the chunk whose first element is at `offset` lies in the file: byte address and stored
    /// size (H5Dget_chunk_info_by_coord; for tools and tests that inspect the file itself).
    public func chunkLocation(at offset: [Int]) throws -> (address: Int, size: Int) {
        HDF5Library.prepare()
        let origin = offset.map { hsize_t($0) }
        var mask: UInt32 = 0
        var address: haddr_t = 0
        var size: hsize_t = 0
        try check(H5Dget_chunk_info_by_coord(objectID, origin, &mask, &address, &size), "locate chunk at \(offset)")
        return (Int(address), Int(size))
    }

    /// Reads one chunk's stored (still filtered) bytes and its filter mask. The stored size comes
    /// from the file's chunk index; a chunk larger than `maxBytes` is refused before it is allocated.
    public func readChunk(at offset: [Int], maxBytes: Int = Int.max) throws -> (filterMask: UInt32, bytes: [UInt8]) {
        HDF5Library.prepare()
        let origin = offset.map { hsize_t($0) }
        var size: hsize_t = 0
        try check(H5Dget_chunk_storage_size(objectID, origin, &size), "find raw chunk at \(offset)")
        guard size <= UInt64(maxBytes) else {
            throw HDF5Error(
                file: filePath, object: path, operation: "read raw chunk at \(offset)",
                reason: "the chunk index says it stores \(size) bytes, more than the \(maxBytes) its contents can take")
        }
        var mask: UInt32 = 0
        var status: herr_t = 0
        // Filled completely by H5Dread_chunk (the chunk's stored size), so not zeroed first.
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, count in
            status = H5Dread_chunk(objectID, HDF5Library.defaultID, origin, &mask, buffer.baseAddress)
            count = status < 0 ? 0 : buffer.count
        }
        try check(status, "read raw chunk at \(offset)")
        return (mask, bytes)
    }
}
