import StrataUtilities

/// Everything that defines a probe's architecture (stored verbatim in checkpoints).
public struct ProbeConfiguration: Codable, Sendable, Equatable {
    public var kind: ProbeKind
    /// Hidden width d of the stored states.
    public var hidden: Int
    /// Positions in the dataset's captured-layer list that the probe reads, in order.
    public var layers: [Int]
    /// Number of classes C (2 = binary: one logit and a sigmoid).
    public var classes: Int
    /// Token-stage pooling (pooling probe, MHA pooling over tokens).
    public var tokenPool: PoolMode
    /// Layer-stage pooling (pooling probe, MHA pooling over layers).
    public var layerPool: PoolMode
    /// MHA heads H.
    public var heads: Int
    /// MHA downcast factor f (inner width ≈ d/f).
    public var downcast: Int
    /// Gate: learn a score scale τ per gate (s = τ·tanh(wᵀx)); false = the paper's τ = 1.
    public var gateScale: Bool
    /// Per-token normalisation of the hidden states before the token stage.
    public var inputNormalization: InputNormalization
    /// Logit baseline: auxiliary vector name and width.
    public var featureName: String?
    public var featureWidth: Int?

    public init(
        kind: ProbeKind, hidden: Int, layers: [Int], classes: Int,
        tokenPool: PoolMode = .mean, layerPool: PoolMode = .mean, heads: Int = 4, downcast: Int = 32,
        gateScale: Bool = false, inputNormalization: InputNormalization = .none, featureName: String? = nil, featureWidth: Int? = nil
    ) {
        self.kind = kind; self.hidden = hidden; self.layers = layers; self.classes = classes
        self.tokenPool = tokenPool; self.layerPool = layerPool; self.heads = heads; self.downcast = downcast
        self.gateScale = gateScale; self.inputNormalization = inputNormalization; self.featureName = featureName;
        self.featureWidth = featureWidth
    }

    enum CodingKeys: String, CodingKey {
        case kind, hidden, layers, classes, tokenPool, layerPool, heads, downcast, gateScale, inputNormalization, featureName, featureWidth
    }

    /// Decodes a stored configuration; fields added after the first files were written
    /// (`inputNormalization`) default to the behaviour those files had (`none`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(ProbeKind.self, forKey: .kind)
        hidden = try c.decode(Int.self, forKey: .hidden)
        layers = try c.decode([Int].self, forKey: .layers)
        classes = try c.decode(Int.self, forKey: .classes)
        tokenPool = try c.decode(PoolMode.self, forKey: .tokenPool)
        layerPool = try c.decode(PoolMode.self, forKey: .layerPool)
        heads = try c.decode(Int.self, forKey: .heads)
        downcast = try c.decode(Int.self, forKey: .downcast)
        gateScale = try c.decode(Bool.self, forKey: .gateScale)
        inputNormalization = try c.decodeIfPresent(InputNormalization.self, forKey: .inputNormalization) ?? .none
        featureName = try c.decodeIfPresent(String.self, forKey: .featureName)
        featureWidth = try c.decodeIfPresent(Int.self, forKey: .featureWidth)
    }

    /// Logits the head produces: 1 for binary tasks, C otherwise.
    public var outputs: Int { classes == 2 ? 1 : classes }

    /// MHA inner width k: d/f rounded up to a multiple of H (so heads have equal width).
    public var attentionInner: Int {
        let base = max(1, (hidden + downcast - 1) / downcast)
        return ((base + heads - 1) / heads) * heads
    }

    /// Checks that the configuration is usable; throws a message naming the bad option.
    public func validate() throws {
        func bad(_ setting: ProbeSetting, _ v: Any, _ r: SettingText) -> ProbeError { .invalid(setting, value: "\(v)", r) }
        guard classes >= 2 else { throw bad(.classes, classes, "need at least 2 classes") }
        if kind == .logits {
            guard let w = featureWidth, w > 0, featureName != nil else {
                throw bad(.featureWidth, featureWidth ?? 0, "the logit baseline needs an auxiliary vector")
            }
            return
        }
        guard hidden > 0 else { throw bad(.hidden, hidden, "must be positive") }
        guard !layers.isEmpty else { throw bad(.layers, layers, "select at least one layer") }
        if kind == .mha {
            guard heads >= 1 else { throw bad(.heads, heads, "must be at least 1") }
            guard downcast >= 1, downcast <= hidden else { throw bad(.downcast, downcast, "must be in 1...\(hidden)") }
        }
    }
}
