/// Why a probe cannot be attached to a model, or a served prompt cannot be run: what is at fault, where
/// (the probe checkpoint, the flag or the request field), and why; plus how the server answers it (HTTP
/// status, OpenAI error type, the request field as `param`).
public struct ServingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem this is, for callers that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The probe's hidden width differs from the model's.
        case hiddenSizeMismatch
        /// The probe reads a hidden-state index the model does not have.
        case layerOutOfRange
        /// The probe's feature vector (logit baseline) does not match the model's vocabulary.
        case featureMismatch
        /// The prompt encodes to no tokens.
        case emptyPrompt
    }

    public let kind: Kind
    /// What is at fault: "probe P", "the prompt".
    public let what: String
    /// Where it came from: the probe's checkpoint, or the flag or input row of a prompt.
    public let location: String
    /// Why it cannot be served.
    public let why: String
    /// The request field at fault when a server request carried it (OpenAI's `param`).
    public let field: String?
    /// The HTTP status a server answers with: 400 for a request's fault, 500 for the server's own setup.
    public let status: Int
    /// OpenAI's error class for `status`: `invalid_request_error` or `server_error`.
    public let type: String

    public init(
        _ kind: Kind, what: String, location: String, why: String, field: String? = nil, status: Int,
        type: String
    ) {
        self.kind = kind
        self.what = what
        self.location = location
        self.why = why
        self.field = field
        self.status = status
        self.type = type
    }

    public var description: String {
        location.isEmpty ? "\(what): \(why)" : "\(location): \(what): \(why)"
    }

    /// The answer a server gives a request that met this error.
    public var apiError: ServeAPIError {
        ServeAPIError(
            status: status, message: description, type: type, param: field,
            code: status == 400 ? "invalid_value" : nil)
    }

    /// A probe whose hidden width differs from the model's (the server's setup: 500 if it ever reaches a request).
    public static func hiddenSizeMismatch(probe: String, probeHidden: Int, modelHidden: Int) -> ServingError {
        ServingError(
            .hiddenSizeMismatch, what: "probe \(probe)", location: probe,
            why: "it reads hidden states of width \(probeHidden), but the model's hidden size is \(modelHidden)",
            status: 500, type: "server_error")
    }

    /// A probe reading a hidden state the model does not have.
    public static func layerOutOfRange(probe: String, layer: Int, numHiddenStates: Int) -> ServingError {
        ServingError(
            .layerOutOfRange, what: "probe \(probe)", location: probe,
            why: "it reads hidden state \(layer), but the model has hidden states 0...\(numHiddenStates - 1)",
            status: 500, type: "server_error")
    }

    /// A logit-baseline probe whose features are not this model's next-token log-probabilities.
    public static func featureMismatch(probe: String, reason: String) -> ServingError {
        ServingError(
            .featureMismatch, what: "probe \(probe)", location: probe,
            why: "it cannot read this model's next-token log-probabilities: \(reason)",
            status: 500, type: "server_error")
    }

    /// A prompt from `source` (a flag, an input row, a request) that encodes to no tokens; `field` names the
    /// request field when a server request carried it.
    public static func emptyPrompt(source: String, field: String? = nil) -> ServingError {
        ServingError(
            .emptyPrompt, what: "the prompt", location: source, why: "the text encodes to no tokens",
            field: field, status: 400, type: "invalid_request_error")
    }
}
