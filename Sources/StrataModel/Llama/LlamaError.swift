import StrataUtilities

/// What can go wrong while loading or running a Llama-family model (missing GGUF keys/tensors and
/// unsupported architectures are reported as `GGUFError`).
public enum LlamaError: SettingError, CustomStringConvertible, Equatable {
    /// The metadata is present but describes something impossible or unsupported.
    case invalidConfig(String)
    /// A tensor has a different shape than the config implies.
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// The forward input is unusable (empty batch, empty sequence, ...).
    case invalidInput(String)
    /// A setting's value that cannot be used (named in words; the CLI names its flag).
    case invalidSetting(InvalidSetting)
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(sequence: Int, position: Int, token: Int32, vocabularySize: Int)
    /// A requested hidden-state index is outside 0...L.
    case layerOutOfRange(layer: Int, numHiddenStates: Int)

    public var description: String {
        switch self {
        case .invalidConfig(let why):
            return "invalid model config: \(why)"
        case .tensorShape(let name, let expected, let found):
            return "GGUF tensor '\(name)' has shape \(found), expected \(expected) (ggml order, row length first)"
        case .invalidInput(let why):
            return "invalid forward input: \(why)"
        case .invalidSetting(let refusal):
            return refusal.description
        case .tokenOutOfRange(let sequence, let position, let token, let vocabularySize):
            return "token id \(token) at sequence \(sequence), position \(position) is outside the vocabulary (size \(vocabularySize))"
        case .layerOutOfRange(let layer, let count):
            return "hidden-state index \(layer) is outside 0...\(count - 1)"
        }
    }
}

extension LlamaError {
    public var invalidSetting: InvalidSetting? {
        if case .invalidSetting(let refusal) = self { return refusal }
        return nil
    }
}
