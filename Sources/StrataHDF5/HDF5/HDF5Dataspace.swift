import CHDF5

/// An HDF5 dataspace: the shape of a dataset or attribute, and a selection within it.
final class HDF5Dataspace {
    let handle: HDF5Handle
    var id: hid_t { handle.id }

    init(owning id: hid_t) throws {
        handle = try HDF5Handle(id, closer: H5Sclose, file: nil, object: nil, operation: "open dataspace")
    }

    /// A scalar (single element) dataspace.
    convenience init(scalar: Void) throws {
        HDF5Library.prepare()
        try self.init(owning: H5Screate(H5S_SCALAR))
    }

    /// A simple dataspace of fixed `shape`.
    convenience init(shape: [Int]) throws {
        HDF5Library.prepare()
        let dims = shape.map { hsize_t($0) }
        try self.init(owning: H5Screate_simple(Int32(dims.count), dims, nil))
    }

    /// The dimensions (empty for a scalar).
    func shape() throws -> [Int] {
        let rank = H5Sget_simple_extent_ndims(id)
        try checkHDF5(rank, file: nil, object: nil, "read dataspace rank")
        guard rank > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try checkHDF5(H5Sget_simple_extent_dims(id, &dims, nil), file: nil, object: nil, "read dataspace shape")
        return try dims.map { dim in
            guard let value = Int(exactly: dim) else {
                throw HDF5Error(operation: "read dataspace shape", reason: "dimension \(dim) does not fit in a signed 64-bit integer")
            }
            return value
        }
    }

    /// Elements of an array of `shape` (1 for a scalar), or nil when the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    func elementCount() throws -> Int {
        let count = H5Sget_simple_extent_npoints(id)
        try checkHDF5(count, file: nil, object: nil, "count dataspace elements")
        return Int(count)
    }

    /// Selects the block `start ..< start + count` (one entry per dimension).
    func selectBlock(start: [Int], count: [Int]) throws {
        let startDims = start.map { hsize_t($0) }
        let countDims = count.map { hsize_t($0) }
        try checkHDF5(
            H5Sselect_hyperslab(id, H5S_SELECT_SET, startDims, nil, countDims, nil),
            file: nil, object: nil, "select hyperslab")
    }
}
