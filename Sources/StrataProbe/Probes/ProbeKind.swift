/// The probe architectures and baselines `strata train --probe` accepts.
public enum ProbeKind: String, Codable, Sendable, CaseIterable {
    /// Direct pooling: mean/max over tokens, mean/max over layers, linear head (head only is trained).
    case pooling
    /// Scoring-attention gate per layer, one shared gate over layers, linear head.
    case gate
    /// Downcast multi-head self-attention per layer and over layers, linear head.
    case mha
    /// Baseline: the last valid token of one layer (default: the last layer), linear head.
    case lastToken = "last-token"
    /// Baseline: mean over valid tokens of one layer (default: the last layer), linear head.
    case meanLast = "mean-last"
    /// Baseline (logit-only reuse): linear model on the stored next-token log-probabilities.
    case logits

    /// Whether the probe reads hidden states (all except `logits`).
    public var readsHiddenStates: Bool { self != .logits }
    /// Whether the probe reads only one layer.
    public var readsOneLayer: Bool { self == .lastToken || self == .meanLast }
}
