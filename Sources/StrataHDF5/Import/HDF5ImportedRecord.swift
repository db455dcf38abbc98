/// One record read from an HDF5 file, ready to hand to a Strata writer.
public struct HDF5ImportedRecord {
    public var id: String
    /// Empty when the file has no labels.
    public var labels: [Int]
    /// Empty when the file has no token ids.
    public var tokenIDs: [Int32]
    public var text: String?
    public var tokenCount: Int
    /// Per-record metadata (from files Strata exported).
    public var metadata: [String: String] = [:]
}
