import Strata

/// The one rule that turns a pass's record order into what the trainer consumes: records group
/// into optimizer steps (this rank's slice of each, `StepCounter`), and each step into chunks
/// whose padded size stays within the budget's chunk size (a chunk closes early when the next
/// record would push it over; a step whose slice is empty on this rank still yields one empty
/// chunk, so that every rank takes part in every step).
struct ChunkPlan {
    struct Chunk {
        /// Selection indices, in order.
        var slots: [Int]
        var endsStep: Bool
        /// The cursor position once this chunk is consumed (records of this rank's share).
        var position: Int
        /// Steps of the epoch completed once this chunk is consumed.
        var steps: Int
    }

    let chunks: [Chunk]

    /// - Parameters:
    ///   - cursor: the pass's order, from its current position to the end of this rank's share.
    ///   - recordBytes: padded bytes of one record of a chunk whose longest record has that many tokens.
    init(cursor: StreamCursor, steps: StepCounter, tokenCounts: [Int], chunkBytes: Int, recordBytes: (Int) -> Int) throws {
        var cursor = cursor, steps = steps
        var chunks: [Chunk] = []
        var current: [Int] = [], longest = 0
        while !steps.isFinished {
            if steps.leftInStep == 0 {
                steps.finishStep()
                chunks.append(Chunk(slots: [], endsStep: true, position: cursor.position, steps: steps.step))
                continue
            }
            while true {
                guard let k = cursor.next() else {
                    throw ProbeError.invalidData(
                        source: "record order", record: nil,
                        reason: "the epoch share ended with \(steps.leftInStep) records of step \(steps.step + 1) still to come")
                }
                let n = tokenCounts[k]
                let newLongest = max(longest, n)
                if !current.isEmpty && recordBytes(newLongest) * (current.count + 1) > chunkBytes {
                    chunks.append(Chunk(slots: current, endsStep: false, position: cursor.position - 1, steps: steps.step))
                    current = []
                    longest = 0
                }
                current.append(k)
                longest = max(longest, n)
                if steps.take() {
                    chunks.append(Chunk(slots: current, endsStep: true, position: cursor.position, steps: steps.step))
                    current = []
                    longest = 0
                    break
                }
            }
        }
        self.chunks = chunks
    }
}
