import Strata
import StrataModel

/// One forward batch's records with their hidden states, layer-major (L × T × d) per record, stored
/// contiguously in the output dtype (bf16/f16 as bit patterns; f32 for q8, which the writer quantizes). Owns its memory; handed from the
/// compute thread to the writer.
final class CapturedBatch: HiddenStateSink {
    let dtype: StrataDType
    let hidden: Int
    let layerCount: Int
    /// Record to write per sequence of the batch; nil for sequences already captured (a resumed batch).
    private(set) var records: [RecordInput?]
    let tokenCounts: [Int]
    /// Element offset of each sequence's L × T × d block.
    private let offsets: [Int]
    /// Position in the stored layer list of each hidden-state index (-1 = not captured).
    private let layerPosition: [Int]
    private let elements: Int
    private let floats: UnsafeMutablePointer<Float>?
    private let halves: UnsafeMutablePointer<UInt16>?
    /// Vocabulary-sized log-probabilities are kept only when asked for.
    private let keepLogProbs: Bool

    init(
        records: [RecordInput?], tokenCounts: [Int], layers: [LayerInfo], numHiddenStates: Int, hidden: Int,
        dtype: StrataDType, keepLogProbs: Bool, allocateValues: Bool = true
    ) {
        self.records = records
        self.tokenCounts = tokenCounts
        self.dtype = dtype
        self.hidden = hidden
        self.layerCount = layers.count
        self.keepLogProbs = keepLogProbs
        var position = [Int](repeating: -1, count: numHiddenStates)
        for (p, layer) in layers.enumerated() { position[layer.index] = p }
        layerPosition = position
        var offsets: [Int] = []
        var total = 0
        for t in tokenCounts {
            offsets.append(total)
            total += layers.count * t * hidden
        }
        self.offsets = offsets
        elements = allocateValues ? total : 0
        if !allocateValues || elements == 0 {
            floats = nil
            halves = nil
        } else if dtype == .f32 || dtype.isLossy { // q8 quantizes the model's f32 output
            floats = .allocate(capacity: elements)
            halves = nil
        } else {
            floats = nil
            halves = .allocate(capacity: elements)
        }
    }

    deinit {
        floats?.deallocate()
        halves?.deallocate()
    }

    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        guard elements > 0, layer < layerPosition.count else { return }
        let p = layerPosition[layer]
        guard p >= 0 else { return }
        let start = offsets[sequence] + p * tokens * hidden
        switch dtype {
        case .f32, .q8:
            (floats! + start).update(from: rows.baseAddress!, count: rows.count)
        case .bf16:
            StrataConvert.f32ToBF16(rows, UnsafeMutableBufferPointer(start: halves! + start, count: rows.count))
        case .f16:
            StrataConvert.f32ToF16(rows, UnsafeMutableBufferPointer(start: halves! + start, count: rows.count))
        }
    }

    func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws {
        guard keepLogProbs, records[sequence] != nil else { return }
        records[sequence]!.auxiliary[CaptureJob.logProbsName] = Array(logProbs)
    }

    /// The stored values of sequence `i`, valid while the batch lives.
    func values(_ i: Int) -> HiddenStatesBuffer {
        let count = layerCount * tokenCounts[i] * hidden
        switch dtype {
        case .f32, .q8: return .f32(UnsafeBufferPointer(start: floats! + offsets[i], count: count))
        case .bf16: return .bf16(UnsafeBufferPointer(start: halves! + offsets[i], count: count))
        case .f16: return .f16(UnsafeBufferPointer(start: halves! + offsets[i], count: count))
        }
    }
}
