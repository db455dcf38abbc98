/// One entry of a GGUF file's tensor directory.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. "blk.0.attn_q.weight".
    public let name: String
    /// Dimensions in ggml order: `shape[0]` is the fastest-varying one (the row length).
    public let shape: [Int]
    /// The element type of the stored data.
    public let type: GGMLType
    /// Absolute byte offset of the data in the file.
    public let offset: Int
    /// Size of the stored data in bytes.
    public let byteCount: Int

    public init(name: String, shape: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.shape = shape
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }

    /// Total number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Length of one row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (product of `shape[1...]`).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}
