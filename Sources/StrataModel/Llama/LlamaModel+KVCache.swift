import Dispatch
import Foundation

extension LlamaModel {
    /// Runs `tokens` as the continuation of the sequence held in `cache` (positions `cache.count...`),
    /// appends their keys and values to the cache, streams the requested hidden states of the new
    /// tokens to `sink` (as `sequence` 0), and returns the output logits (not normalised) at the last
    /// new position — the distribution of the token that follows.
    ///
    /// The first call on an empty cache is the prefill: with the same kernels in the same order as
    /// `forward(batch:request:sink:)`, its hidden states equal a one-sequence `forward`. Later calls
    /// (usually one token each) are decode steps. `request.wantLastLogProbs` is ignored: the logits are
    /// always returned. On error the cache keeps its previous length.
    public func extend(_ tokens: [Int32], cache: KVCache, request: HiddenStateRequest = HiddenStateRequest(layers: []),
                       sink: HiddenStateSink? = nil) throws -> [Float] {
        guard !tokens.isEmpty else { throw LlamaError.invalidInput("extend needs at least one token") }
        guard cache.keys.count == config.blockCount, cache.keyValueWidth == config.keyValueWidth else {
            throw LlamaError.invalidInput("the KV cache was made for a model of a different shape")
        }
        guard cache.count + tokens.count <= cache.capacity else {
            throw LlamaError.invalidInput(
                "the KV cache holds \(cache.count) of \(cache.capacity) tokens; \(tokens.count) more do not fit")
        }
        for (position, id) in tokens.enumerated() where id < 0 || Int(id) >= config.vocabularySize {
            throw LlamaError.tokenOutOfRange(sequence: 0, position: cache.count + position, token: id,
                                             vocabularySize: config.vocabularySize)
        }
        var deliver = Set(0..<numHiddenStates)
        if let layers = request.layers {
            for layer in layers where layer < 0 || layer >= numHiddenStates {
                throw LlamaError.layerOutOfRange(layer: layer, numHiddenStates: numHiddenStates)
            }
            deliver = Set(layers)
        }
        if sink == nil { deliver = [] }

        let d = config.hiddenSize, ff = config.feedForwardSize
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth
        let qkvWidth = queryWidth + 2 * kvWidth
        let rows = tokens.count, start = cache.count
        let epsilon = config.rmsNormEpsilon

        let residual = FloatBuffer(count: rows * d)
        let normed = FloatBuffer(count: rows * d)
        let qkv = FloatBuffer(count: rows * qkvWidth)
        let attention = FloatBuffer(count: rows * queryWidth)
        let gateUp = FloatBuffer(count: rows * 2 * ff)
        let positions = (start..<(start + rows)).map { Int32($0) }
        let x = residual.pointer, h = normed.pointer

        func emit(_ layer: Int, _ states: UnsafeMutablePointer<Float>) throws {
            guard let sink, deliver.contains(layer) else { return }
            try sink.receive(layer: layer, sequence: 0, rows: UnsafeBufferPointer(start: states, count: rows * d),
                             tokens: rows)
        }

        tokens.withUnsafeBufferPointer { embed($0, into: x) }
        try emit(0, x)

        for (index, block) in weights.blocks.enumerated() {
            positions.withUnsafeBufferPointer { positions in
                projectQueryKeyValue(block, x: x, h: h, qkv: qkv.pointer, rows: rows, positions: positions.baseAddress!,
                                     rotary: cache.rotaryTables[rotaries.embeddingOfBlock[index]], threads: threads)
            }
            let keys = cache.keys[index].pointer, values = cache.values[index].pointer
            for row in 0..<rows {
                let source = qkv.pointer + row * qkvWidth + queryWidth
                (keys + (start + row) * kvWidth).update(from: source, count: kvWidth)
                (values + (start + row) * kvWidth).update(from: source + kvWidth, count: kvWidth)
            }
            attendCached(queries: qkv.pointer, queryStride: qkvWidth, keys: keys, values: values, start: start,
                         rows: rows, scoring: scoring(layer: index), into: attention.pointer)
            addAttentionOutput(block, attention: attention.pointer, x: x, h: h, rows: rows, threads: threads)

            feedForward(block, x: x, h: h, gateUp: gateUp.pointer, rows: rows, threads: threads)
            if index + 1 < config.blockCount { try emit(index + 1, x) }
        }

        if deliver.contains(config.blockCount) {
            normalizeRows(x, into: h, gain: weights.outputNorm, rows: rows, threads: threads)
            try emit(config.blockCount, h)
        }

        // Output head on the last new row only.
        let lastNormed = FloatBuffer(count: d)
        rmsNorm(x + (rows - 1) * d, lastNormed.pointer, gain: weights.outputNorm.pointer, width: d,
                epsilon: epsilon, rows: 0..<1)
        var logits = [Float](repeating: 0, count: config.vocabularySize)
        logits.withUnsafeMutableBufferPointer { outputLogits(lastNormed.pointer, rows: 1, into: $0.baseAddress!) }
        cache.advance(by: rows)
        return logits
    }

    /// Causal attention of `rows` new query rows (absolute positions `start...`) against the cached keys
    /// and values of positions `0...start + row`, one query head per work unit.
    private func attendCached(queries: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<Float>,
                              values: UnsafePointer<Float>, start: Int, rows: Int, scoring: AttentionScoring,
                              into output: UnsafeMutablePointer<Float>) {
        let heads = config.headCount, headDimension = config.headDimension
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth
        let group = heads / config.keyValueHeadCount
        let work: (Int) -> Void = { head in
            let kvOffset = (head / group) * headDimension
            withUnsafeTemporaryAllocation(of: Float.self, capacity: start + rows) { scores in
                for row in 0..<rows {
                    let position = start + row
                    attentionRow(
                        query: queries + row * queryStride + head * headDimension,
                        keys: keys + kvOffset, values: values + kvOffset, stride: kvWidth,
                        visible: scoring.firstKey(for: position)...position, headDimension: headDimension,
                        scoring: scoring, output: output + row * queryWidth + head * headDimension,
                        scores: scores.baseAddress!)
                }
            }
        }
        if threads == 1 || heads == 1 {
            for head in 0..<heads { work(head) }
        } else {
            DispatchQueue.concurrentPerform(iterations: heads, execute: work)
        }
    }
}
