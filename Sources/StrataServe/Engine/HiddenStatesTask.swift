import StrataModel

/// How the token axis of hidden states is summarised.
public enum HiddenStatePooling: String, Codable, CaseIterable, Sendable {
    /// Every token's state: shape [layers, tokens, hidden].
    case none
    /// The mean over tokens: shape [layers, hidden].
    case mean
    /// The last token's state: shape [layers, hidden].
    case last
}

/// The hidden states of one text, layers in the order asked for.
public struct HiddenStatesResult: Sendable {
    public var values: [Float]
    public var shape: [Int]
}

/// `POST /v1/hidden-states`'s work: chosen hidden states of one text from one forward pass (which may be
/// packed with other requests' texts), pooled over tokens or not.
final class HiddenStatesTask: PassTask {
    let ticket: RequestTicket
    let texts: [[Int32]]
    let layers: [Int]
    let pooling: HiddenStatePooling
    let hiddenSize: Int
    private var received: [Int: [Float]] = [:]
    private let deliver: (Result<HiddenStatesResult, ServeAPIError>) -> Void

    init(
        ticket: RequestTicket, tokens: [Int32], layers: [Int], pooling: HiddenStatePooling, hiddenSize: Int,
        deliver: @escaping (Result<HiddenStatesResult, ServeAPIError>) -> Void
    ) {
        self.ticket = ticket
        texts = [tokens]
        self.layers = layers
        self.pooling = pooling
        self.hiddenSize = hiddenSize
        self.deliver = deliver
    }

    func prepare(probes: ProbeRegistry) throws -> HiddenStateRequest {
        received = [:]
        return HiddenStateRequest(layers: Array(Set(layers)).sorted())
    }

    func receive(layer: Int, text: Int, rows: UnsafeBufferPointer<Float>) throws {
        guard layers.contains(layer) else { return }
        let tokens = texts[0].count, d = hiddenSize
        switch pooling {
        case .none:
            received[layer] = Array(rows)
        case .last:
            received[layer] = Array(rows[((tokens - 1) * d)..<(tokens * d)])
        case .mean:
            var sums = [Double](repeating: 0, count: d)
            for t in 0..<tokens {
                for j in 0..<d { sums[j] += Double(rows[t * d + j]) }
            }
            received[layer] = sums.map { Float($0 / Double(tokens)) }
        }
    }

    func receiveLastLogProbs(text: Int, logProbs: UnsafeBufferPointer<Float>) throws {}

    func complete() throws {
        var values: [Float] = []
        for layer in layers {
            guard let rows = received[layer] else {
                throw ServeAPIError.internalFailure(
                    ServeConfigurationError(
                        what: "hidden state \(layer)",
                        why: "the forward pass did not produce it"))
            }
            values += rows
        }
        received = [:]
        let shape = pooling == .none ? [layers.count, texts[0].count, hiddenSize] : [layers.count, hiddenSize]
        deliver(.success(HiddenStatesResult(values: values, shape: shape)))
    }

    func fail(_ error: ServeAPIError) {
        received = [:]
        deliver(.failure(error))
    }
}
