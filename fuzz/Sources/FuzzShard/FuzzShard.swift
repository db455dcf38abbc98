import FuzzSupport
import Strata

// Input: one mode byte, then the shard file. Mode bit 0 set: every CRC32C is recomputed first
// (ShardChecksumRepair), so mutations reach the structure parsers; clear: the bytes are read as they are.

private let scratch = ScratchDirectory("shard")
/// Most values one record read may produce (16 MiB of floats): a tiny file may legally declare a
/// record of up to 4096 layers × 2^24 tokens × 2^20 hidden, which no harness should allocate.
private let readBudget = 1 << 22

@_cdecl("FuzzShard_main")
func fuzzShardMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, LLVMFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = fuzzInputBytes(data, size)
    guard let mode = bytes.first else { return 0 }
    bytes.removeFirst()
    if mode & 1 == 1 { ShardChecksumRepair.repair(&bytes) }
    dumpTestedBytesIfRequested(bytes)
    let path = scratch.write(bytes, to: "input.strata")

    _ = try? StrataVerifier.verify(path: path)
    if let dataset = try? StrataDataset(path: path) { readRecords(of: dataset) }
    recoverAndReopen(path)
    return 0
}

/// Every record's info and auxiliary vectors, and its values (all, one layer, a token range) when
/// they fit the read budget.
private func readRecords(of dataset: StrataDataset) {
    let layers = dataset.metadata.layers.count
    for index in 0..<min(dataset.count, 64) {
        guard let info = try? dataset.info(index) else { continue }
        for auxiliary in dataset.metadata.auxiliary { _ = try? dataset.auxiliary(index, name: auxiliary.name) }
        let (values, overflow) = info.nTokens.multipliedReportingOverflow(by: layers * dataset.metadata.hidden)
        guard !overflow, values <= readBudget else { continue }
        _ = try? dataset.readFloat(index)
        _ = try? dataset.readFloat(index, layers: [layers - 1], tokens: info.nTokens / 2..<info.nTokens)
    }
}

/// Recovery's contract (spec/FORMAT.md §8): when it succeeds, the file is a sealed shard that opens
/// with exactly the records it kept, each of whose entries reads. Anything else is a finding.
private func recoverAndReopen(_ path: String) {
    guard let planned = try? ShardRecovery.recover(path: path, dryRun: true) else { return }
    let report: ShardRecovery.Report
    do { report = try ShardRecovery.recover(path: path) } catch {
        fatalError("recovery failed after its dry run succeeded: \(error)")
    }
    guard report.recordsKept == planned.recordsKept else {
        fatalError("recovery kept \(report.recordsKept) records, its dry run planned \(planned.recordsKept)")
    }
    do {
        let reader = try ShardReader(path: path)
        guard reader.count == report.recordsKept else {
            fatalError("recovered shard has \(reader.count) records, recovery kept \(report.recordsKept)")
        }
        for index in 0..<reader.count { _ = try reader.info(index) }
    } catch {
        fatalError("recovered shard does not read back: \(error)")
    }
}
