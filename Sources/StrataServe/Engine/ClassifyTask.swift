import StrataModel

/// `POST /v1/classify`'s work: every named probe's verdict on each text, all probes fed by one forward
/// pass per text (the pass may be packed with other requests' texts).
final class ClassifyTask: PassTask {
    let ticket: RequestTicket
    let texts: [[Int32]]
    let probeNames: [String]
    let threshold: Float?
    private let deliver: (Result<[[ProbeVerdict]], ServeAPIError>) -> Void
    /// `leased[text][probe]` for the current pass.
    private var leased: [[ServingProbe]] = []

    init(
        ticket: RequestTicket, texts: [[Int32]], probeNames: [String], threshold: Float?,
        deliver: @escaping (Result<[[ProbeVerdict]], ServeAPIError>) -> Void
    ) {
        self.ticket = ticket
        self.texts = texts
        self.probeNames = probeNames
        self.threshold = threshold
        self.deliver = deliver
    }

    func prepare(probes: ProbeRegistry) throws -> HiddenStateRequest {
        leased = try texts.map { tokens in
            try probeNames.map { name in
                let probe = try probes.lease(name)
                try probe.begin(tokens: tokens.count)
                return probe
            }
        }
        return HiddenStateRequest.union(leased.first?.map(\.request) ?? [])
    }

    func receive(layer: Int, text: Int, rows: UnsafeBufferPointer<Float>) throws {
        for probe in leased[text] { try probe.receive(layer: layer, sequence: 0, rows: rows, tokens: texts[text].count) }
    }

    func receiveLastLogProbs(text: Int, logProbs: UnsafeBufferPointer<Float>) throws {
        for probe in leased[text] where probe.live.needsFeatures { try probe.receiveLastLogProbs(sequence: 0, logProbs: logProbs) }
    }

    func complete() throws {
        let verdicts = try leased.map { probes in try probes.map { try $0.finish(threshold: threshold) } }
        leased = []
        deliver(.success(verdicts))
    }

    func fail(_ error: ServeAPIError) {
        leased = []
        deliver(.failure(error))
    }
}
