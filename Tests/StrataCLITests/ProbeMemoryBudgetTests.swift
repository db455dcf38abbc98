import Foundation
import Strata
import Testing
import StrataTestSupport

/// `strata train --memory-budget` bounds the process: peak RSS (VmHWM, reported by the child
/// process itself) stays under budget + a fixed overhead even when the dataset, decoded to f32,
/// is 16× the budget (and twice the allowed peak).
@Test func trainingPeakMemoryIsBoundedByTheBudgetNotTheDatasetSize() throws {
    try withTemporaryDirectoryURL("mem") { dir in
        let big = dir.appendingPathComponent("big.strata").path, small = dir.appendingPathComponent("small.strata").path
        // 256 records × 128 tokens × 8 layers × 128 hidden = 128 MiB as f32 (64 MiB stored as f16).
        try ProbeCLI.writeShard(big, count: 256, layers: 8, hidden: 128, tokens: 128...128)
        try ProbeCLI.writeShard(small, count: 8, layers: 8, hidden: 128, tokens: 128...128)
        let budgetMB = 8, fixedOverheadMB = 56
        func peak(_ data: String) throws -> Int {
            let (status, out, err) = try ProbeCLI.run([
                "train", "--data", data, "--probe", "pooling", "--out", dir.appendingPathComponent("p.probe").path,
                "--epochs", "1", "--batch-size", "16", "--val-fraction", "0", "--memory-budget", "\(budgetMB)MB", "--quiet"])
            #expect(status == 0, "\(err)")
            let line = out.split(separator: "\n").first { $0.hasPrefix("peak_rss_bytes=") }
            return Int(line?.dropFirst("peak_rss_bytes=".count) ?? "") ?? Int.max
        }
        let smallPeak = try peak(small), bigPeak = try peak(big)
        let datasetF32 = 256 * 128 * 8 * 128 * 4
        #expect(bigPeak < (budgetMB + fixedOverheadMB) << 20, "peak \(bigPeak >> 20) MiB for a \(datasetF32 >> 20) MiB dataset, budget \(budgetMB) MiB")
        #expect(bigPeak - smallPeak < budgetMB << 20, "peak grew from \(smallPeak >> 20) to \(bigPeak >> 20) MiB with dataset size")
    }
}
