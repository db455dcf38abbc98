import Foundation

@testable import Strata

/// A synthetic dataset for stream tests: record g has 1 + g % 7 tokens and value
/// f(g, layer, token, h) = g·10000 + layer·1000 + token·10 + h, so any misplaced or
/// misordered value is visible. It records which records were decoded, for memory-bound
/// checks made independently of the stream's own counter.
final class InMemorySource: StreamSource, @unchecked Sendable {
    let shardCounts: [Int]
    let streamHidden: Int
    let streamLayerCount: Int
    /// Global index whose reads throw, to test error propagation.
    var failingRecord: Int?
    /// Delay per value read, to let the prefetcher run ahead of or behind the consumer.
    var readDelay: TimeInterval = 0

    private let lock = NSLock()
    private var decodeStarted: [Int] = []

    init(shardCounts: [Int], hidden: Int = 3, layers: Int = 4) {
        self.shardCounts = shardCounts
        streamHidden = hidden
        streamLayerCount = layers
    }

    var count: Int { shardCounts.reduce(0, +) }

    var streamShards: [ShardSummary] {
        shardCounts.enumerated().map { ShardSummary(name: "mem-\($0.offset)", records: $0.element, bytes: $0.element * 100, checksum: "x") }
    }

    static func tokens(_ global: Int) -> Int { 1 + global % 7 }

    static func value(_ global: Int, layer: Int, token: Int, h: Int) -> Float {
        Float(global * 10000 + layer * 1000 + token * 10 + h)
    }

    func streamHeader(_ global: Int) throws -> StreamRecordHeader {
        StreamRecordHeader(id: "r\(global)", labels: [global % 3], nTokens: Self.tokens(global))
    }

    func streamValues(_ global: Int, layers: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        lock.lock()
        decodeStarted.append(global)
        lock.unlock()
        if readDelay > 0 { Thread.sleep(forTimeInterval: readDelay) }
        if global == failingRecord { throw StreamError.invalidRequest("synthetic failure at \(global)") }
        let selected = layers ?? Array(0..<streamLayerCount)
        let tokens = Self.tokens(global)
        precondition(buffer.count == selected.count * tokens * streamHidden)
        var i = 0
        for layer in selected {
            for token in 0..<tokens {
                for h in 0..<streamHidden {
                    buffer[i] = Self.value(global, layer: layer, token: token, h: h)
                    i += 1
                }
            }
        }
    }

    func streamAuxiliary(_ global: Int, name: String) throws -> [Float] { [Float(global), Float(name.count)] }

    /// Records whose value decode has started, in start order.
    var started: [Int] { lock.lock(); defer { lock.unlock() }; return decodeStarted }
}
