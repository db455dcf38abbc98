/// Why a probe cannot be attached to a model, or a served request failed.
public enum ServingError: Error, CustomStringConvertible, Equatable {
    /// The probe's hidden width differs from the model's.
    case hiddenSizeMismatch(probe: String, probeHidden: Int, modelHidden: Int)
    /// The probe reads a hidden-state index the model does not have.
    case layerOutOfRange(probe: String, layer: Int, numHiddenStates: Int)
    /// The probe's feature vector (logit baseline) does not match the model's vocabulary.
    case featureMismatch(probe: String, reason: String)
    /// The prompt encodes to no tokens.
    case emptyPrompt(source: String)

    public var description: String {
        switch self {
        case let .hiddenSizeMismatch(probe, probeHidden, modelHidden):
            return "probe \(probe) reads hidden states of width \(probeHidden), but the model's hidden size is \(modelHidden)"
        case let .layerOutOfRange(probe, layer, count):
            return "probe \(probe) reads hidden state \(layer), but the model has hidden states 0...\(count - 1)"
        case let .featureMismatch(probe, reason):
            return "probe \(probe) cannot read this model's next-token log-probabilities: \(reason)"
        case let .emptyPrompt(source):
            return "\(source): the text encodes to no tokens"
        }
    }
}
