/// Shard/dataset-level metadata, stored as JSON in every shard header (spec/FORMAT.md §Metadata JSON).
public struct StrataMetadata: Codable, Sendable, Equatable {
    public var hidden: Int
    /// The captured layers, in stored order; positions in this list are the "layer" axis of a record.
    public var layers: [LayerInfo]
    public var dtype: StrataDType
    public var model: ModelIdentity?
    public var tokenizer: TokenizerIdentity?
    /// Class names, index = label value.
    public var labelNames: [String]?
    /// Per-record auxiliary vectors every record carries.
    public var auxiliary: [AuxiliaryInfo]
    public var toolVersion: String
    /// Free-form (task name, source dataset, ...).
    public var extra: [String: String]
    /// Codec settings; the writer fills this in from its `WriterOptions`.
    public var codec: CodecSettings?
    /// What the layer indices mean; "hf_output_hidden_states" (the default) per spec/FORMAT.md, or
    /// `unknownLayerSemantics` when the source did not say (indices are then positions).
    public var layerSemantics: String
    /// How a lossy dtype was encoded and the errors it measured (required for q8, absent otherwise).
    public var quantization: QuantizationInfo?

    /// `layer_semantics` of data whose layers' meaning was not recorded: each index is the layer's
    /// position in the source, and which model layer it is is unknown (spec/FORMAT.md §4).
    public static let unknownLayerSemantics = "unknown"

    public init(
        hidden: Int, layers: [LayerInfo], dtype: StrataDType, model: ModelIdentity? = nil,
        tokenizer: TokenizerIdentity? = nil, labelNames: [String]? = nil, auxiliary: [AuxiliaryInfo] = [],
        toolVersion: String = strataToolVersion, extra: [String: String] = [:], codec: CodecSettings? = nil,
        layerSemantics: String = "hf_output_hidden_states", quantization: QuantizationInfo? = nil
    ) {
        self.hidden = hidden
        self.layers = layers
        self.dtype = dtype
        self.model = model
        self.tokenizer = tokenizer
        self.labelNames = labelNames
        self.auxiliary = auxiliary
        self.toolVersion = toolVersion
        self.extra = extra
        self.codec = codec
        self.layerSemantics = layerSemantics
        self.quantization = quantization
    }

    enum CodingKeys: String, CodingKey {
        case hidden, layers, dtype, model, tokenizer, auxiliary, extra, codec, quantization
        case labelNames = "label_names"
        case toolVersion = "tool_version"
        case layerSemantics = "layer_semantics"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hidden = try c.decode(Int.self, forKey: .hidden)
        layers = try c.decode([LayerInfo].self, forKey: .layers)
        dtype = try c.decode(StrataDType.self, forKey: .dtype)
        model = try c.decodeIfPresent(ModelIdentity.self, forKey: .model)
        tokenizer = try c.decodeIfPresent(TokenizerIdentity.self, forKey: .tokenizer)
        labelNames = try c.decodeIfPresent([String].self, forKey: .labelNames)
        auxiliary = try c.decodeIfPresent([AuxiliaryInfo].self, forKey: .auxiliary) ?? []
        toolVersion = try c.decodeIfPresent(String.self, forKey: .toolVersion) ?? ""
        extra = try c.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
        codec = try c.decodeIfPresent(CodecSettings.self, forKey: .codec)
        layerSemantics = try c.decodeIfPresent(String.self, forKey: .layerSemantics) ?? "hf_output_hidden_states"
        quantization = try c.decodeIfPresent(QuantizationInfo.self, forKey: .quantization)
    }

    /// Checks the fields a reader or writer relies on; returns a reason when invalid.
    func validationProblem() -> String? {
        if hidden <= 0 || hidden > StrataLimits.maxHidden { return "hidden size \(hidden) is out of range 1...\(StrataLimits.maxHidden)" }
        if layers.isEmpty || layers.count > StrataLimits.maxLayers {
            return "layer count \(layers.count) is out of range 1...\(StrataLimits.maxLayers)"
        }
        if dtype == .q8 {
            guard let q = quantization, q.scheme == "q8" else { return "dtype q8 needs a \"quantization\" object with scheme \"q8\"" }
            if hidden > Q8Layout.maxHidden { return "hidden size \(hidden) is over q8's limit \(Q8Layout.maxHidden)" }
            if !(q.maxRelError >= 0) || !q.maxRelError.isFinite {
                return "quantization.max_rel_error \(q.maxRelError) is not a finite number ≥ 0"
            }
        } else if quantization != nil {
            return "\"quantization\" is given for the lossless dtype \(dtype.rawValue)"
        }
        var names = Set<String>()
        for a in auxiliary {
            if !names.insert(a.name).inserted { return "auxiliary vector \"\(a.name)\" is declared twice" }
            if let n = a.length, n < 0 || n > StrataLimits.maxAuxiliaryLength {
                return "auxiliary vector \"\(a.name)\" has invalid length \(n)"
            }
        }
        return nil
    }

    /// True when two metadata describe values of the same shape and meaning (same hidden, layers, dtype),
    /// so their records can live in one dataset.
    public func isShapeCompatible(with other: StrataMetadata) -> Bool {
        hidden == other.hidden && layers == other.layers && dtype == other.dtype
    }
}
