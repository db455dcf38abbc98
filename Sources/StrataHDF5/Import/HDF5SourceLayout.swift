/// How records are laid out in an HDF5 file, as found by `HDF5LayoutDetector`: enough to read
/// record i's values, token ids, labels, id and text.
public struct HDF5SourceLayout: Sendable {
    public enum Arrangement: Sendable, Equatable {
        /// One array whose token axis concatenates all records.
        case ragged
        /// One array with a records axis; each record uses a contiguous token range of its row.
        case padded
        /// One group per example (names in natural order), each holding the activation dataset.
        case groupPerExample(groups: [String])
    }

    public var arrangement: Arrangement
    /// Path of the activation dataset (for groups: its name inside each group).
    public var dataName: String
    /// Axis order of the activation dataset.
    public var axes: [HDF5Axis]
    public var valueType: HDF5ValueType
    /// The file holds float64 and values are converted to float32 (only with the option).
    public var convertsFloat64: Bool
    public var recordCount: Int
    public var layerCount: Int
    public var hidden: Int
    /// Per record: first token position along the token axis, and the token count.
    public var tokenStarts: [Int]
    public var tokenCounts: [Int]
    /// How records were delimited, in words (for reports).
    public var boundaries: String
    public var labelsName: String?
    public var tokenIDsName: String?
    public var idsName: String?
    public var textsName: String?

    /// Path of the dataset holding record `index`'s values (its group's dataset in a
    /// one-group-per-example file), for messages.
    public func dataPath(record index: Int) -> String {
        if case .groupPerExample(let groups) = arrangement { return "/\(groups[index])/\(dataName)" }
        return dataName
    }

    /// A one-line summary, e.g. "ragged /hidden [tokens,layers,hidden] f16, 120 records, offsets /offsets".
    public var summary: String {
        let kind: String
        switch arrangement {
        case .ragged: kind = "ragged"
        case .padded: kind = "padded"
        case .groupPerExample(let groups): kind = "one group per example (\(groups.count) groups)"
        }
        return "\(kind) \(dataName) [\(HDF5Axis.describe(axes))] \(valueType.rawValue)"
            + "\(convertsFloat64 ? " (from float64)" : ""), \(recordCount) records × \(layerCount) layers × \(hidden) hidden, \(boundaries)"
    }
}
