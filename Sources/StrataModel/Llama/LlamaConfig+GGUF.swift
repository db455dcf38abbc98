extension LlamaConfig {
    /// More blocks than any published model has; bounds what a corrupt `block_count` can allocate.
    public static let maximumBlockCount = 4096

    /// Architectures whose GGUF files this runtime runs (`general.architecture` values).
    public static var supportedArchitectures: [String] { DecoderArchitecture.supportedNames }

    /// Reads the config from GGUF metadata (`<arch>.block_count`, `.embedding_length`, ...).
    ///
    /// Throws `GGUFError` naming the file for an unsupported architecture or a missing key, and
    /// `LlamaError.invalidConfig` for values that cannot describe a runnable model.
    public init(gguf file: GGUFFile) throws {
        let design = try DecoderArchitecture.require(file)
        let arch = design.name
        func optionalInt(_ key: String) throws -> Int? {
            file.metadata[key] == nil ? nil : try file.requireInt(key)
        }
        func optionalFloat(_ key: String) throws -> Double? {
            file.metadata[key] == nil ? nil : try file.requireFloat(key)
        }
        let hidden = try file.requireInt("\(arch).embedding_length")
        let heads = try file.requireInt("\(arch).attention.head_count")
        let kvHeads = try optionalInt("\(arch).attention.head_count_kv") ?? heads
        let headDimension = try optionalInt("\(arch).attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        if let valueLength = try optionalInt("\(arch).attention.value_length"), valueLength != headDimension {
            throw LlamaError.invalidConfig("attention.value_length \(valueLength) differs from key_length \(headDimension)")
        }

        // Vocabulary: the explicit key, else the token list, else the embedding's row count.
        let vocabulary: Int
        if let explicit = try optionalInt("\(arch).vocab_size") {
            vocabulary = explicit
        } else if let tokens = file.metadata["tokenizer.ggml.tokens"]?.array {
            vocabulary = tokens.count
        } else {
            vocabulary = try file.requireTensor("token_embd.weight").rowCount
        }

        let blockCount = try file.requireInt("\(arch).block_count")
        let slidingWindow = try optionalInt("\(arch).attention.sliding_window").flatMap { $0 > 0 ? $0 : nil }
        guard blockCount > 0, blockCount <= LlamaConfig.maximumBlockCount else {
            throw LlamaError.invalidConfig("\(arch).block_count must be in 1...\(LlamaConfig.maximumBlockCount), got \(blockCount)")
        }
        var slidingLayers: [Bool] = []
        if slidingWindow != nil {
            slidingLayers = try LlamaConfig.slidingPattern(file, arch, blockCount: blockCount, design: design)
        }
        let attentionScale: Float
        if let explicit = try optionalFloat("\(arch).attention.scale") {
            attentionScale = Float(explicit)
        } else if design.hiddenPerHeadQueryScaleAtBlockCounts.contains(blockCount), heads > 0 {
            attentionScale = 1 / Float(hidden / heads).squareRoot()
        } else {
            attentionScale = headDimension > 0 ? 1 / Float(headDimension).squareRoot() : 1
        }
        func softcap(_ key: String) throws -> Float? {
            try optionalFloat("\(arch).\(key)").flatMap { $0 > 0 ? Float($0) : nil }
        }

        self.init(
            architecture: arch,
            blockCount: blockCount,
            hiddenSize: hidden,
            feedForwardSize: try file.requireInt("\(arch).feed_forward_length"),
            headCount: heads,
            keyValueHeadCount: kvHeads,
            headDimension: headDimension,
            ropeDimension: try optionalInt("\(arch).rope.dimension_count") ?? headDimension,
            ropeFrequencyBase: try optionalFloat("\(arch).rope.freq_base") ?? 10_000,
            ropeScaling: try LlamaConfig.ropeScaling(file, arch),
            rmsNormEpsilon: Float(try file.requireFloat("\(arch).attention.layer_norm_rms_epsilon")),
            vocabularySize: vocabulary,
            tiedOutput: file.tensor(named: "output.weight") == nil,
            slidingWindow: slidingWindow,
            slidingLayers: slidingLayers,
            localRopeFrequencyBase: try optionalFloat("\(arch).rope.freq_base_swa"),
            attentionScale: attentionScale,
            attentionLogitSoftcap: try softcap("attn_logit_softcapping"),
            finalLogitSoftcap: try softcap("final_logit_softcapping"))
        try validate()
    }

    /// Which blocks slide: `<arch>.attention.sliding_window_pattern` (one boolean per block, or a period n:
    /// every n-th block is global), else the architecture's default (`DecoderArchitecture.slidingLayers`).
    private static func slidingPattern(
        _ file: GGUFFile, _ arch: String, blockCount: Int,
        design: DecoderArchitecture
    ) throws -> [Bool] {
        let key = "\(arch).attention.sliding_window_pattern"
        guard let value = file.metadata[key] else {
            return (0..<blockCount).map { design.slidesByDefault(layer: $0) }
        }
        if let period = value.int {
            guard period > 0 else { throw LlamaError.invalidConfig("\(key) must be positive, got \(period)") }
            return (0..<blockCount).map { ($0 + 1) % period != 0 }
        }
        guard let flags = value.array?.compactMap(\.bool), flags.count == value.array?.count else {
            throw LlamaError.invalidConfig("\(key) is \(value.typeName), expected an integer or an array of booleans")
        }
        guard flags.count == blockCount else {
            throw LlamaError.invalidConfig("\(key) has \(flags.count) entries for \(blockCount) blocks")
        }
        return flags
    }

    /// `<arch>.rope.scaling.*`: type none/linear/llama3 (yarn and longrope are refused), or the legacy
    /// `<arch>.rope.scale_linear`.
    private static func ropeScaling(_ file: GGUFFile, _ arch: String) throws -> RopeScaling {
        let prefix = "\(arch).rope.scaling"
        let type = file.metadata["\(prefix).type"]?.string
        let factor = file.metadata["\(prefix).factor"] == nil ? nil : try file.requireFloat("\(prefix).factor")
        switch type {
        case nil:
            if file.metadata["\(arch).rope.scale_linear"] != nil {
                let linear = try file.requireFloat("\(arch).rope.scale_linear")
                return linear == 1 ? .none : .linear(factor: linear)
            }
            return .none
        case "none":
            return .none
        case "linear":
            guard let factor else { throw LlamaError.invalidConfig("rope scaling 'linear' needs \(prefix).factor") }
            return factor == 1 ? .none : .linear(factor: factor)
        case "llama3":
            guard let factor else { throw LlamaError.invalidConfig("rope scaling 'llama3' needs \(prefix).factor") }
            return .llama3(
                factor: factor,
                lowFrequencyFactor: try file.requireFloat("\(prefix).low_freq_factor"),
                highFrequencyFactor: try file.requireFloat("\(prefix).high_freq_factor"),
                originalContextLength: try file.requireInt("\(prefix).original_context_length"))
        case let other?:
            throw LlamaError.invalidConfig(
                "rope scaling type '\(other)' (\(prefix).type) is not supported (supported: none, linear, llama3)")
        }
    }
}
