import CBLAS
import Dispatch
import Foundation

/// A decoder-only transformer (RMSNorm, RoPE, grouped-query attention, gated feed-forward) of one of the
/// `DecoderArchitecture.supported` families, running in float32 on the CPU, which hands out every layer's
/// hidden states. (The name is historical: Llama was the first family.)
///
/// One block loop serves every architecture: what differs (norm placement, biases, query/key norms,
/// activation, soft-caps, sliding windows, RoPE pairing and bases, embedding scale) is data, read from the
/// architecture's `DecoderArchitecture` and the file's metadata (`LlamaConfig`).
///
/// Several texts are packed into one forward batch: the rows of all sequences are concatenated so that the
/// projections are single large matrix products (OpenBLAS), while attention stays block-diagonal and causal,
/// with positions restarting at 0 in every sequence. Attention and element-wise steps run on `threads`
/// threads; OpenBLAS's own thread count belongs to the process (`BLASThreads`), and the model never changes it.
///
/// Query/key weights are used in GGUF row order; see `RotaryEmbedding` for the pairing of each architecture.
///
/// Weights are read-only and a forward pass keeps its activations in a `ForwardWorkspace`, so passes with
/// different workspaces may run at once: `ForwardWorkers` runs one packed batch per worker, each worker with
/// its own workspace and single-threaded BLAS, which on few cores beats splitting every matrix product over
/// threads.
///
/// Determinism: the values of a batch depend only on its token ids, the weights, and the BLAS kernels and
/// thread count in force (`BLASThreads`); not on `threads`, the workspace, or other passes running at once.
/// Packing a text with others changes the shapes of the products, so its values then agree with a pass of
/// the text alone to float rounding (spec/RUNTIME.md), not to the bit.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    /// Threads of a forward pass without an explicit workspace, and of `extend`: used for attention and
    /// element-wise work (each value is computed on one thread, in the same order, whatever the count).
    public let threads: Int
    /// The block description of `config.architecture`.
    public let design: DecoderArchitecture
    let rotaries: BlockRotaries

    /// A model from already-dequantised weights. `threads` defaults to the number of active processors.
    public init(config: LlamaConfig, weights: LlamaWeights, threads: Int? = nil) throws {
        try config.validate()
        self.design = config.design!
        self.config = config
        self.weights = weights
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.rotaries = BlockRotaries(config: config, frequencyFactors: weights.ropeFrequencyFactors)
    }

    /// Number of hidden states per token: the embedding output plus one per block (L + 1).
    public var numHiddenStates: Int { config.numHiddenStates }

    /// Runs the packed `batch` (one token-id array per text) and streams the requested hidden states to `sink`.
    ///
    /// Positions restart at 0 in every sequence and no sequence attends to another, so each result equals
    /// that of running the sequence alone (up to float rounding of the matrix products).
    ///
    /// `workspace` holds the activations and the thread count of the non-BLAS steps; without one, a fresh
    /// workspace with `threads` threads is used. Concurrent calls need distinct workspaces.
    public func forward(
        batch: [[Int32]], request: HiddenStateRequest = .allLayers,
        sink: HiddenStateSink?, workspace: ForwardWorkspace? = nil
    ) throws -> ForwardResult {
        try forward(sequences: batch.map { PackedSequence(tokens: $0) }, request: request, sink: sink, workspace: workspace)
    }

    /// Runs the packed `sequences`, some of which may continue a KV cache (`PackedSequence`): whole texts
    /// (capture, classification) and generation prefills or decode steps share one batch, so that their
    /// projections are single matrix products. Streams the requested hidden states of every sequence's new
    /// tokens to `sink` and returns, for each cached sequence, the output logits at its last new position.
    ///
    /// Every sequence sees only itself (and its own cache), so each result equals that of the sequence alone
    /// up to float rounding of the matrix products; sliding windows and soft-caps apply per sequence at its
    /// own positions. The caches grow only when the whole pass succeeds.
    public func forward(
        sequences: [PackedSequence], request: HiddenStateRequest = .allLayers,
        sink: HiddenStateSink?, workspace: ForwardWorkspace? = nil
    ) throws -> ForwardResult {
        let layout = try PackedBatch(sequences, config: config)
        let requested = try deliveredLayers(request)
        let deliver: Set<Int> = sink == nil ? [] : requested
        let d = config.hiddenSize
        let rows = layout.totalTokens
        let workspace = workspace ?? ForwardWorkspace(threads: threads)
        let threads = workspace.threads

        // Activations: the residual stream and scratch for one block, all row-major [rows × width].
        let activations = workspace.activations(rows: rows, config: config)
        let x = activations.residual, h = activations.normed
        let qkv = activations.queryKeyValue, attention = activations.attention
        let rotaryTables = rotaryTables(covering: layout)

        func emit(_ layer: Int, _ states: UnsafeMutablePointer<Float>) throws {
            guard let sink, deliver.contains(layer) else { return }
            for sequence in 0..<layout.count {
                let start = layout.offsets[sequence], tokens = layout.lengths[sequence]
                try sink.receive(
                    layer: layer, sequence: sequence,
                    rows: UnsafeBufferPointer(start: states + start * d, count: tokens * d),
                    tokens: tokens)
            }
        }

        // Token embeddings: hidden state 0.
        layout.tokens.withUnsafeBufferPointer { embed($0, into: x) }
        try emit(0, x)

        for (index, block) in weights.blocks.enumerated() {
            // Attention sub-layer: x += [norm] Wo · attention(RoPE(Wq h), RoPE(Wk h), Wv h), h = RMSNorm(x).
            layout.positions.withUnsafeBufferPointer { positions in
                projectQueryKeyValue(
                    block, x: x, h: h, qkv: qkv, rows: rows, positions: positions.baseAddress!,
                    rotary: rotaryTables[rotaries.embeddingOfBlock[index]], threads: threads)
            }
            if layout.hasCaches { appendKeysValues(qkv: qkv, layout: layout, block: index) }
            attend(qkv: qkv, into: attention, layout: layout, block: index, threads: threads)
            addAttentionOutput(block, attention: attention, x: x, h: h, rows: rows, threads: threads)

            // Feed-forward sub-layer: x += [norm] W_down · (act(W_gate h) ⊙ W_up h), h = RMSNorm(x).
            feedForward(block, x: x, h: h, gateUp: activations.gateUp, rows: rows, threads: threads)

            // Hidden state index+1; the last one is replaced by the final-norm output below (HF semantics).
            if index + 1 < config.blockCount { try emit(index + 1, x) }
        }

        // Final RMSNorm: hidden state L.
        if deliver.contains(config.blockCount) {
            normalizeRows(x, into: h, gain: weights.outputNorm, rows: rows, threads: threads)
            try emit(config.blockCount, h)
        }

        let heads = try lastPositionOutputs(residual: x, layout: layout, logProbs: request.wantLastLogProbs, sink: sink)
        for (sequence, cache) in layout.caches.enumerated() { cache?.advance(by: layout.lengths[sequence]) }
        return ForwardResult(
            tokenCounts: layout.lengths, layers: requested.sorted(), lastLogProbs: heads.logProbs,
            nextLogits: heads.logits)
    }

    /// All hidden states of one text, `[numHiddenStates][tokens][hiddenSize]` flattened.
    public func hiddenStates(tokens: [Int32]) throws -> [Float] {
        let collector = HiddenStateCollector(
            numHiddenStates: numHiddenStates, tokens: tokens.count,
            hiddenSize: config.hiddenSize)
        _ = try forward(batch: [tokens], request: .allLayers, sink: collector)
        return collector.values
    }

    // MARK: - Steps

    /// The requested hidden-state indices as a set, validated against 0...L.
    private func deliveredLayers(_ request: HiddenStateRequest) throws -> Set<Int> {
        guard let layers = request.layers else { return Set(0..<numHiddenStates) }
        for layer in layers where layer < 0 || layer >= numHiddenStates {
            throw LlamaError.layerOutOfRange(layer: layer, numHiddenStates: numHiddenStates)
        }
        return Set(layers)
    }

    /// Causal attention of every (sequence, query head) pair: a sequence without a cache reads the RoPE'd
    /// `[q | k | v]` rows of the batch, a cached one reads its cache (its new keys and values already appended).
    private func attend(
        qkv: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
        layout: PackedBatch, block: Int, threads: Int
    ) {
        let heads = config.headCount, headDimension = config.headDimension
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth
        let qkvWidth = queryWidth + 2 * kvWidth
        let group = heads / config.keyValueHeadCount
        let scoring = scoring(layer: block)
        let units = layout.count * heads
        let work: (Int) -> Void = { unit in
            let sequence = unit / heads, head = unit % heads, kvHead = head / group
            let first = layout.offsets[sequence], tokens = layout.lengths[sequence], start = layout.starts[sequence]
            let firstRow = qkv + first * qkvWidth
            let headOutput = output + first * queryWidth + head * headDimension
            withUnsafeTemporaryAllocation(of: Float.self, capacity: start + tokens) { scores in
                if let cache = layout.caches[sequence] {
                    let kvOffset = kvHead * headDimension
                    for row in 0..<tokens {
                        let position = start + row
                        attentionRow(
                            query: firstRow + row * qkvWidth + head * headDimension,
                            keys: cache.keys[block].pointer + kvOffset, values: cache.values[block].pointer + kvOffset,
                            stride: kvWidth, visible: scoring.firstKey(for: position)...position,
                            headDimension: headDimension, scoring: scoring, output: headOutput + row * queryWidth,
                            scores: scores.baseAddress!)
                    }
                } else {
                    causalAttentionHead(
                        queries: firstRow + head * headDimension,
                        keys: firstRow + queryWidth + kvHead * headDimension,
                        values: firstRow + queryWidth + kvWidth + kvHead * headDimension,
                        rowStride: qkvWidth, tokens: tokens, headDimension: headDimension, scoring: scoring,
                        output: headOutput, outputStride: queryWidth, scores: scores.baseAddress!)
                }
            }
        }
        if threads == 1 || units == 1 {
            for unit in 0..<units { work(unit) }
        } else {
            DispatchQueue.concurrentPerform(iterations: units, execute: work)
        }
    }

    /// Final norm and output head on the last row of the sequences that need it (every cached sequence, and
    /// every sequence when `logProbs`): raw logits for the cached ones, log-softmax for the sink.
    private func lastPositionOutputs(
        residual x: UnsafeMutablePointer<Float>, layout: PackedBatch, logProbs: Bool,
        sink: HiddenStateSink?
    ) throws -> (logits: [[Float]?], logProbs: [[Float]]) {
        let needed = (0..<layout.count).filter { logProbs || layout.caches[$0] != nil }
        var nextLogits = [[Float]?](repeating: nil, count: layout.count)
        guard !needed.isEmpty else { return (nextLogits, []) }
        let d = config.hiddenSize, vocabulary = config.vocabularySize, count = needed.count
        let lastRows = FloatBuffer(count: count * d)
        let lastNormed = FloatBuffer(count: count * d)
        for (slot, sequence) in needed.enumerated() {
            let row = layout.offsets[sequence] + layout.lengths[sequence] - 1
            (lastRows.pointer + slot * d).update(from: x + row * d, count: d)
        }
        rmsNorm(
            lastRows.pointer, lastNormed.pointer, gain: weights.outputNorm.pointer, width: d,
            epsilon: config.rmsNormEpsilon, rows: 0..<count)
        let logits = FloatBuffer(count: count * vocabulary)
        outputLogits(lastNormed.pointer, rows: count, into: logits.pointer)
        var result: [[Float]] = []
        if logProbs { result.reserveCapacity(count) }
        for (slot, sequence) in needed.enumerated() {
            let row = logits.pointer + slot * vocabulary
            let buffer = UnsafeBufferPointer(start: row, count: vocabulary)
            if layout.caches[sequence] != nil { nextLogits[sequence] = Array(buffer) }
            guard logProbs else { continue }
            logSoftmax(row, count: vocabulary)
            try sink?.receiveLastLogProbs(sequence: sequence, logProbs: buffer)
            result.append(Array(buffer))
        }
        return (nextLogits, result)
    }
}

/// A sink that keeps every hidden state of a single sequence, `[layers][tokens][hidden]`.
final class HiddenStateCollector: HiddenStateSink {
    private(set) var values: [Float]
    private let tokens: Int, hiddenSize: Int

    init(numHiddenStates: Int, tokens: Int, hiddenSize: Int) {
        self.tokens = tokens
        self.hiddenSize = hiddenSize
        values = [Float](repeating: 0, count: numHiddenStates * tokens * hiddenSize)
    }

    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        let start = layer * self.tokens * hiddenSize
        values.withUnsafeMutableBufferPointer { destination in
            _ = UnsafeMutableBufferPointer(rebasing: destination[start..<start + rows.count]).update(fromContentsOf: rows)
        }
    }
}
