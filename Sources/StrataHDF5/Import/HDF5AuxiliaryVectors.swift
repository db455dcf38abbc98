import Strata

/// The per-record auxiliary f32 vectors of an HDF5 file in Strata's layout (spec/HDF5.md §3–§5):
/// `/auxiliary/<name>` concatenated over the records with `/auxiliary/<name>_offsets` (N+1) in a
/// ragged or padded file, `/<group>/auxiliary/<name>` in each group of a one-group-per-example file.
/// Read whether or not a `strata_metadata` attribute declares them; a vector that is present but
/// does not fit the records is an error naming its dataset, never dropped.
struct HDF5AuxiliaryVectors {
    /// Vector name → one vector per record.
    private(set) var values: [String: [[Float]]] = [:]

    /// The names of the vectors the file holds (for files without `strata_metadata`), in name order.
    static func names(layout: HDF5SourceLayout, root: HDF5Group, file: String, options: HDF5ImportOptions) throws -> [String] {
        if case .groupPerExample(let groups) = layout.arrangement {
            guard let first = groups.first else { return [] }
            let group = try root.openGroup(first)
            guard group.kind(of: "auxiliary") == .group else { return [] }
            let auxiliary = try group.openGroup("auxiliary")
            return try auxiliary.memberNames().filter { auxiliary.kind(of: $0) == .dataset }.sorted()
        }
        guard root.kind(of: "auxiliary") == .group, !options.isIgnored("/auxiliary") else { return [] }
        let group = try root.openGroup("auxiliary")
        let members = Set(try group.memberNames().filter { group.kind(of: $0) == .dataset && !options.isIgnored("/auxiliary/\($0)") })
        var names: [String] = []
        for member in members.sorted() {
            // `<name>_offsets` next to `<name>` delimits it; anything else is a vector and needs its offsets.
            if member.hasSuffix("_offsets"), members.contains(String(member.dropLast("_offsets".count))) { continue }
            guard members.contains(member + "_offsets") else {
                throw HDF5ImportError(
                    file: file, problem: "/auxiliary/\(member) has no /auxiliary/\(member)_offsets to delimit its records",
                    needed: "N+1 int64 offsets per auxiliary vector (spec/HDF5.md §3), or --ignore /auxiliary/\(member)")
            }
            names.append(member)
        }
        return names
    }

    /// Reads the vectors `names` for `count` records.
    init(names: [String], layout: HDF5SourceLayout, root: HDF5Group, count: Int, file: String) throws {
        func misfit(_ path: String, _ problem: String) -> HDF5ImportError {
            HDF5ImportError(file: file, problem: "\(path) \(problem)", needed: "one float32 vector per record (spec/HDF5.md §3–§4)")
        }
        if case .groupPerExample(let groups) = layout.arrangement {
            for name in names {
                values[name] = try groups.map { group in
                    let path = "/\(group)/auxiliary/\(name)"
                    let holder = try root.openGroup(group)
                    guard holder.kind(of: "auxiliary") == .group, try holder.openGroup("auxiliary").kind(of: name) == .dataset else {
                        throw misfit(path, "is missing: every record carries each auxiliary vector")
                    }
                    let data = try holder.openGroup("auxiliary").openDataset(name)
                    let shape = try data.shape()
                    guard let length = HDF5Dataspace.elementCount(shape), length <= StrataLimits.maxAuxiliaryLength else {
                        throw misfit(path, "has shape \(shape), over the limit of \(StrataLimits.maxAuxiliaryLength) values per vector")
                    }
                    return try data.readFloats()
                }
            }
            return
        }
        guard !names.isEmpty else { return }
        guard root.kind(of: "auxiliary") == .group else {
            throw misfit("/auxiliary", "is missing, but the strata_metadata attribute declares auxiliary vectors \(names)")
        }
        let group = try root.openGroup("auxiliary")
        for name in names {
            let path = "/auxiliary/\(name)"
            let offsets = try group.openDataset(name + "_offsets").readIntegers().map { Int($0) }
            let all = try group.openDataset(name).readFloats()
            guard offsets.count == count + 1, offsets.first == 0, offsets.last == all.count,
                zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 && $1 - $0 <= StrataLimits.maxAuxiliaryLength })
            else {
                throw misfit(
                    path + "_offsets",
                    "(\(offsets.count) values) does not delimit \(count) records of \(path) (\(all.count) values), "
                        + "each at most \(StrataLimits.maxAuxiliaryLength) long")
            }
            values[name] = (0..<count).map { Array(all[offsets[$0]..<offsets[$0 + 1]]) }
        }
    }

    /// Record `index`'s vectors.
    func record(_ index: Int) -> [String: [Float]] { values.mapValues { $0[index] } }

    /// Declarations for metadata that has none: fixed length where every record has the same count.
    var declarations: [AuxiliaryInfo] {
        values.keys.sorted().map { name in
            let lengths = Set(values[name]!.map(\.count))
            return AuxiliaryInfo(name: name, length: lengths.count == 1 ? lengths.first : nil)
        }
    }
}
