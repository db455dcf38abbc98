import Foundation
import Testing

@testable import StrataUtilities

/// Pipeline workers carry their name where Linux tools read it (`top -H`, /proc/…/comm, gdb), cut to the
/// kernel's 15 bytes with the worker number kept.
@Suite struct ThreadNameTests {
    struct Stopped: Error {}

    @Test func namesAreCutToFifteenBytesKeepingTheWorkerNumber() {
        #expect(ThreadName.kernelName(prefix: "strata-forward", worker: 1) == "strata-forwar-1")
        #expect(ThreadName.kernelName(prefix: "strata-capture-writer", worker: 0) == "strata-captur-0")
        #expect(ThreadName.kernelName(prefix: "io", worker: 12) == "io-12")
        #expect(ThreadName.kernelName(prefix: "ééééééééé", worker: 3) == "éééééé-3", "never inside a character")
        for prefix in ["strata-prefetch", "strata-batches", "x"] {
            #expect(ThreadName.kernelName(prefix: prefix, worker: 7).utf8.count <= 15)
        }
    }

    #if os(Linux)
        @Test func workersCarryTheirNameForTheKernel() throws {
            let pipeline = OrderedPipeline<String?>(
                count: 4, threads: 2, budget: 4, name: "names-test", stoppedError: Stopped(), cost: { _ in 1 },
                workOnWorker: { _, worker in
                    let name = ThreadName.current()
                    return name.map { "\($0)|\(worker)" }
                })
            var seen: [String] = []
            while let name = try pipeline.take() { seen.append(try #require(name)) }
            #expect(seen.count == 4)
            for entry in seen {
                let parts = entry.split(separator: "|")
                #expect(parts[0] == "names-test-\(parts[1])")
            }
        }
    #endif
}
