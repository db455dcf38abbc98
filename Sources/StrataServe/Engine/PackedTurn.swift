import Dispatch
import StrataModel

/// One piece of model work in a scheduler turn.
enum TurnWork {
    /// A classify or hidden-state task: one whole text per sequence, no cache.
    case pass(any PassTask)
    /// An arriving generation's prefill: its prompt into a new KV cache, its guard (if screened) fed from it.
    case prompt(GenerationTask)
    /// One decoding step of an active generation: its pending token against its cache.
    case decode(GenerationTask)

    var ticket: RequestTicket {
        switch self {
        case .pass(let task): task.ticket
        case .prompt(let task), .decode(let task): task.ticket
        }
    }

    /// New tokens it puts in a pass.
    var tokenCount: Int {
        switch self {
        case .pass(let task): task.tokenCount
        case .prompt(let task): task.prompt.count
        case .decode: 1
        }
    }
}

/// The packed forward pass of one scheduler turn: the texts of classify / hidden-state tasks, the prompts of
/// arriving generations and one decode token per active generation, as the sequences of a single
/// `LlamaModel.forward(sequences:)` call, so that their projections are shared matrix products. As the sink
/// of that pass it routes each sequence's hidden states to the task (and probe) that owns it.
///
/// Building it prepares the work (leases probe instances, begins the guards, allocates the prompts' caches);
/// a turn whose pass fails builds one per work item to find the one at fault (caches grow only when a pass
/// succeeds, so a step can be run again).
final class PackedTurn: HiddenStateSink {
    private enum Owner {
        case text(any PassTask, index: Int)
        case prompt(GenerationTask, guard: ServingProbe?, cache: KVCache)
        case decode(GenerationTask)
    }

    private(set) var sequences: [PackedSequence] = []
    private var owners: [Owner] = []
    private var requests: [HiddenStateRequest] = []
    /// Work that could not be prepared, with why; it is not in the pass.
    private(set) var refused: [(work: TurnWork, error: ServeAPIError)] = []
    /// Work in the pass.
    private(set) var included: [TurnWork] = []

    private let model: LlamaModel

    /// Prepares `work`; `guardProbe` leases the guard instance of a screened prompt.
    init(_ work: [TurnWork], model: LlamaModel, probes: ProbeRegistry, guardProbe: () throws -> ServingProbe?) {
        self.model = model
        for item in work {
            do {
                try add(item, probes: probes, guardProbe: guardProbe)
                included.append(item)
            } catch {
                refused.append((item, ServeScheduler.apiError(error)))
            }
        }
    }

    private func add(_ work: TurnWork, probes: ProbeRegistry, guardProbe: () throws -> ServingProbe?) throws {
        switch work {
        case .pass(let task):
            requests.append(try task.prepare(probes: probes))
            for (index, text) in task.texts.enumerated() {
                sequences.append(PackedSequence(tokens: text))
                owners.append(.text(task, index: index))
            }
        case .prompt(let task):
            guard !task.prompt.isEmpty else { throw ServingError.emptyPrompt(source: "the request's prompt", field: "prompt") }
            let probe = task.screened ? try guardProbe() : nil
            try probe?.begin(tokens: task.prompt.count)
            if let probe { requests.append(HiddenStateRequest(layers: probe.request.layers)) }
            let cache = try KVCache(model: model, capacity: task.prompt.count + task.maxTokens)
            sequences.append(PackedSequence(tokens: task.prompt, cache: cache))
            owners.append(.prompt(task, guard: probe, cache: cache))
        case .decode(let task):
            guard let step = task.generation?.pendingDecode else {
                throw ServeAPIError.internalFailure(ServeConfigurationError(what: "decode step", why: "none is pending"))
            }
            sequences.append(step)
            owners.append(.decode(task))
        }
    }

    /// The hidden states and log-probabilities the pass must hand out: the union of what the work needs.
    var request: HiddenStateRequest { .union(requests) }

    /// Texts of classify / hidden-state tasks in the pass, and their tokens.
    var passTexts: (count: Int, tokens: Int) {
        var count = 0, tokens = 0
        for owner in owners {
            if case .text(let task, let index) = owner {
                count += 1
                tokens += task.texts[index].count
            }
        }
        return (count, tokens)
    }

    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        switch owners[sequence] {
        case .text(let task, let index): try task.receive(layer: layer, text: index, rows: rows)
        case .prompt(_, let probe, _): try probe?.receive(layer: layer, sequence: 0, rows: rows, tokens: tokens)
        case .decode: break
        }
    }

    /// Only classify texts take log-probabilities from the pass; a guard reads its prompt's raw logits.
    func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws {
        if case .text(let task, let index) = owners[sequence] {
            try task.receiveLastLogProbs(text: index, logProbs: logProbs)
        }
    }

    /// What a successful pass gives each generation.
    enum GenerationOutcome {
        /// A prefilled prompt, ready to decode (or refused by its guard).
        case prefilled(GenerationTask, GuardedGeneration)
        /// An active generation whose decode step ran.
        case decoded(GenerationTask)
    }

    /// Hands the pass's results to their owners: completes the pass tasks, builds the prefilled generations
    /// (their guards' verdicts from the pass), and gives decoded logits back. Per-owner failures are
    /// reported through `failed`, never thrown.
    func deliver(
        _ result: ForwardResult, prefillStart: UInt64, stopTokens: Set<Int32>,
        failed: (TurnWork, ServeAPIError) -> Void
    ) -> [GenerationOutcome] {
        var outcomes: [GenerationOutcome] = []
        var completed = Set<ObjectIdentifier>()
        for (sequence, owner) in owners.enumerated() {
            switch owner {
            case .text(let task, _):
                guard completed.insert(ObjectIdentifier(task)).inserted else { continue }
                do { try task.complete() } catch { task.fail(ServeScheduler.apiError(error)) }
            case .prompt(let task, let probe, let cache):
                do {
                    let session = try GenerationSession(
                        model: model, prompt: task.prompt, prefilled: cache,
                        logits: result.nextLogits[sequence] ?? [])
                    let generation = try GuardedGeneration(
                        prefilled: session, maxTokens: task.maxTokens,
                        sampling: task.sampling, stopTokens: stopTokens, guard: probe,
                        threshold: task.threshold, prefillStart: prefillStart)
                    outcomes.append(.prefilled(task, generation))
                } catch {
                    failed(.prompt(task), ServeScheduler.apiError(error))
                }
            case .decode(let task):
                do {
                    try task.generation?.decoded(logits: result.nextLogits[sequence] ?? [])
                    outcomes.append(.decoded(task))
                } catch {
                    failed(.decode(task), ServeScheduler.apiError(error))
                }
            }
        }
        return outcomes
    }
}
