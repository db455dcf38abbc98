import Strata

extension HDF5SourceLayout {
    /// Checks every size the import will allocate from against the format's limits (spec/FORMAT.md
    /// §10, spec/HDF5.md §5) before any record is read: the record count, layers, hidden size, and
    /// for each record its token count and the total bytes of its values. Each dimension may be
    /// within its own limit while their product is not (a 2 KB file can declare a 4 TiB record of
    /// unwritten chunks); the error names the file, the dataset and the record.
    func checkLimits(file: String) throws {
        func refuse(_ dataset: String, _ problem: String) -> HDF5ImportError {
            HDF5ImportError(
                file: file, problem: "\(dataset): \(problem)",
                needed: "records within Strata's limits (spec/FORMAT.md §10); split long records or "
                    + "import fewer layers (--data of a smaller array)")
        }
        guard recordCount <= StrataLimits.maxRecordsPerShard else {
            throw refuse(dataName, "\(recordCount) records, over the limit of \(StrataLimits.maxRecordsPerShard) per shard")
        }
        guard (1...StrataLimits.maxLayers).contains(layerCount) else {
            throw refuse(dataName, "\(layerCount) layers, outside the limit of 1...\(StrataLimits.maxLayers)")
        }
        guard (1...StrataLimits.maxHidden).contains(hidden) else {
            throw refuse(dataName, "hidden size \(hidden), outside the limit of 1...\(StrataLimits.maxHidden)")
        }
        let width = valueType.byteWidth
        for (index, tokens) in tokenCounts.enumerated() {
            guard tokens <= StrataLimits.maxTokens else {
                throw refuse(
                    dataPath(record: index), "record \(index) has \(tokens) tokens, over the limit of \(StrataLimits.maxTokens) per record")
            }
            if let problem = StrataLimits.recordValueProblem(layers: layerCount, tokens: tokens, hidden: hidden, width: width) {
                throw refuse(dataPath(record: index), "record \(index) holds \(problem)")
            }
        }
    }
}
