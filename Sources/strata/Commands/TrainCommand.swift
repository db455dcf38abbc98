import ArgumentParser
import Foundation
import Strata
import StrataCapture
import StrataModel
import StrataProbe

/// `strata train`: trains a probe on a Strata dataset and writes a checkpoint.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a probe (pooling, gate, mha) or a baseline on a hidden-state dataset.",
        discussion: """
            Per-kind defaults (a flag given on the command line overrides them; chosen by the sweep in \
            benchmarks/probes.md, spec/PROBES.md §3):
            \(ProbeDefaults.helpTable)

            Memory: --memory-budget bounds what training holds, so peak RSS stays within it plus a fixed \
            \(MemoryBudget.processOverheadBytes >> 20)MiB. The budget holds the probe's parameters, gradients, optimizer \
            state and per-worker workspaces (reserved first), then hidden-state chunks, the prefetch queue and the \
            epoch/feature caches. The fixed \(MemoryBudget.processOverheadBytes >> 20)MiB is the executable, libraries and \
            runtime, thread stacks, OpenBLAS's buffers and allocator slack (spec/PROBES.md §3).
            """)

    var data: String { dataOption.data }
    var threads: Int? { workerThreads.threads }

    @OptionGroup var dataOption: DataOption
    @Option(help: "Probe kind.") var probe: ProbeKind
    @Option(help: "Checkpoint file to write (an existing one is replaced only once training has finished).") var out: String
    @Option(help: "Validation dataset (default: hold out --val-fraction of --data).") var val: String?
    @Option(name: .customLong("val-fraction"), help: "Fraction of --data held out for validation when --val is not given (0 = none).")
    var valFraction: Double = 0.1
    @Option(help: "Maximum epochs (default: per kind, see below).") var epochs: Int?
    @Option(
        name: .customLong("batch-size"),
        help: ArgumentHelp(
            "Examples per optimizer step, across all ranks (the global batch).",
            discussion: "Under MPI every step's records are those a single process would use with the same --batch-size and --seed; "
                + "each rank takes its slice of them (sizes differ by at most one; a rank's slice of the last, short step may be empty)."))
    var batchSize: Int = 32
    @Option(help: "Peak learning rate, cosine decay after warm-up (default: per kind).") var lr: Float?
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay (default: per kind).") var weightDecay: Float?
    @Option(help: "Token pooling for pooling/mha.") var pool: PoolMode = .mean
    @Option(name: .customLong("layer-pool"), help: "Layer pooling for pooling/mha.") var layerPool: PoolMode = .mean
    @Option(help: "MHA heads H (default: per kind).") var heads: Int?
    @Option(help: "MHA downcast factor f, inner width d/f rounded up to a multiple of H (default: per kind).") var downcast: Int?
    @Flag(
        name: .customLong("gate-scale"), inversion: .prefixedNo,
        help: "Gate: learn a score scale τ per gate (s = τ·tanh(wᵀx)), or not (default: per kind).")
    var gateScale: Bool?
    @Option(
        help: ArgumentHelp(
            "adamw (minibatch AdamW, early stopping) or lbfgs (head-only kinds: L2 logistic regression on pooled features, C chosen on validation; default: per kind).",
            discussion:
                "lbfgs fits scikit-learn's LogisticRegression objective in double precision for every C of --c-grid, from the strongest regularisation up, and keeps the C with the best validation --metric (ties: lower validation loss, then smaller C); without validation it uses C = 1. --lr, --epochs, --batch-size, --weight-decay and --patience do not apply to it."
        ))
    var solver: ProbeSolver?
    @Option(
        name: .customLong("c-grid"),
        help: ArgumentHelp(
            "lbfgs: comma-separated positive inverse L2 strengths C to choose from on validation (default 1e-3,3e-3,…,1e3).",
            valueName: "numbers"))
    var cGrid: PositiveNumberList?
    @Flag(
        help:
            "Search learning rate ×⅓/×1/×3 and the kind's key switch (gate: --gate-scale; mha: --heads 2/4) by successive halving on validation, within --tune-budget; the checkpoint holds the best trial and records every trial. Needs validation data; not with --resume or under MPI."
    )
    var tune = false
    @Option(
        name: .customLong("tune-budget"),
        help: ArgumentHelp(
            "Time budget of --tune: a positive duration in seconds or with s, m or h, e.g. 600s, 10m, 1h (a trial that would end past it is skipped; the first always runs).",
            valueName: "duration"))
    var tuneBudget = DurationArgument(argument: "10m")!
    @Option(help: "Per-token input normalisation before the token stage (see spec/PROBES.md).")
    var normalize: InputNormalization = .rms
    @Option(
        help: ArgumentHelp(
            "Layers, as \(hiddenStateIndicesHelp): all, last, or a list such as 0,5,10 or 0-4,last (default: all; last for last-token/mean-last).",
            valueName: "indices"))
    var layers: LayerListArgument?
    @Option(help: "Seed for initialisation, shuffling and the validation split.") var seed: UInt64 = 0
    @OptionGroup var memoryBudgetOption: MemoryBudgetOptions
    @Option(help: "Validation metric for early stopping and the threshold.") var metric: SelectionMetric = .f1
    @Option(help: "Early stopping patience in epochs, 0 = off (default: per kind).") var patience: Int?
    @Option(help: "Warm-up as a fraction of all steps.") var warmup: Double = 0.05
    @Option(help: "Gradient-norm clip (0 = off).") var clip: Float = 1.0
    @Option(
        help:
            "Binary decision threshold: auto (chosen on validation to maximise --metric; with --solver lbfgs and --metric accuracy: 0.5) or a probability."
    )
    var threshold: ThresholdChoice = .auto
    @Option(
        name: .customLong("class-weights"),
        help: ArgumentHelp("balanced | comma-separated positive weight per class.", valueName: "weights")) var classWeights:
        ClassWeightsChoice?
    @OptionGroup var workerThreads: WorkerThreadsOption
    @Option(
        help:
            "Write one JSON line per epoch to this file (rewritten; --resume keeps the finished epochs): epoch, step, train_loss, val_metric, val_loss, examples_per_second, seconds."
    )
    var log: String?
    @Option(
        help: ArgumentHelp(
            "Data-parallel training: auto (MPI when started by mpirun or srun --mpi=pmix|pmi2), mpi, or none (one process).",
            discussion: "Under MPI all ranks train one probe: each reads its slice of every step, gradients are summed with MPI_Allreduce "
                + "(weighted by examples) before every update, validation outputs are gathered from every rank's share, and rank 0 alone "
                + "writes --out, OUT.state and --log. Open MPI is loaded at run time (libmpi.so.40, or STRATA_LIBMPI); --threads defaults "
                + "to the cores divided among the ranks on the node. An error on one rank ends every rank (MPI_Abort)."))
    var distributed: DistributedMode = .auto
    @Flag(help: "Continue from OUT.state (saved by an interrupted run with the same flags); starts fresh when there is none.")
    var resume = false
    @Option(
        name: .customLong("checkpoint-every"),
        help: "Also save OUT.state every N optimizer steps (0 = only at epoch ends and every --checkpoint-seconds).")
    var checkpointEvery: Int = 0
    @Option(
        name: .customLong("checkpoint-seconds"),
        help: "Save OUT.state after a step when this many seconds passed since the last save (0 = off).")
    var checkpointSeconds: Double = 30
    @Option(
        name: .customLong("step-delay-ms"),
        help: "Sleep this many milliseconds after each optimizer step (throttle, for testing interruption).")
    var stepDelayMs: Int = 0
    @Option(
        name: .customLong("feature-cache"),
        help:
            "pooling/last-token/mean-last/logits with --solver adamw: auto = pool every record once and train the head on the stored vectors when they fit in a fifth of --memory-budget; off = decode every epoch (--solver lbfgs always pools once)."
    )
    var featureCache: AutoOrOff = .auto
    @Option(
        name: .customLong("epoch-cache"),
        help:
            "auto = keep decoded training records in memory (stored dtype) after the first epoch when they fit in 3/20 of --memory-budget; off = decode every epoch."
    )
    var epochCache: AutoOrOff = .auto
    @Flag(help: "Only print the final summary.") var quiet = false

    /// Checks that need no file, so a bad value is reported with this command's usage line.
    func validate() throws {
        guard (epochs ?? 1) >= 1, batchSize >= 1, (lr ?? 1) > 0 else {
            throw ValidationError("--epochs, --batch-size and --lr must be positive")
        }
        guard (patience ?? 0) >= 0, (weightDecay ?? 0) >= 0 else {
            throw ValidationError("--patience and --weight-decay must not be negative")
        }
        if tune {
            guard !resume else {
                throw ValidationError("--tune trains several probes and keeps none of their states: run it without --resume")
            }
        }
        guard (0..<1).contains(valFraction) else { throw ValidationError("--val-fraction must be in [0, 1)") }
        guard checkpointEvery >= 0, checkpointSeconds >= 0, stepDelayMs >= 0 else {
            throw ValidationError("--checkpoint-every, --checkpoint-seconds and --step-delay-ms must not be negative")
        }
    }

    func run() throws {
        let world = try TrainingWorld.join(distributed)
        try world.run { try train(in: world) }
    }

    private func train(in world: TrainingWorld) throws {
        let threads = world.workerThreads(requested: self.threads)
        let quiet = self.quiet || !world.isLeader
        let kind = probe, tokenPool = pool, layerPoolMode = layerPool, normalization = normalize, selection = metric
        let defaults = ProbeDefaults.of(kind)
        let method = solver ?? defaults.solver
        let maxEpochs = epochs ?? defaults.epochs
        let budget = try memoryBudgetOption.budget()
        AllocatorTuning.shareOneArena()
        AllocatorTuning.keepLargeBlocksInHeap(upTo: min(budget.bytes, 1 << 30))
        let dataset = try StrataDataset(path: data)
        let meta = dataset.metadata
        let featureName: String? = kind == .logits ? ProbeSetup.logprobsName : nil
        let positions = kind == .logits ? [] : try ProbeSetup.layerPositions(layers?.text, kind: kind, metadata: meta)

        // Records and sources.
        let validationDataset = try val.map { try StrataDataset(path: $0) }
        let split =
            validationDataset == nil
            ? splitRecords(count: dataset.count, validationFraction: valFraction, seed: seed)
            : (train: Array(0..<dataset.count), validation: [])
        let readLayers = positions.map { LayerPosition($0) }
        let trainBase = try RecordBatchSource(
            dataset: dataset, records: split.train, layers: readLayers, featureName: featureName, budget: budget,
            partition: RankPartition(rank: world.rank, world: world.size),
            epochCache: epochCache == .auto && (maxEpochs > 1 || tune))
        // Validation: each rank evaluates its contiguous share; the trainer gathers the outputs.
        let validationShare = try RankPartition(rank: world.rank, world: world.size)
        var validationBase: RecordBatchSource?
        var validationLabels: [Int] = []
        if let validationDataset {
            guard validationDataset.metadata.isShapeCompatible(with: meta) else {
                throw ValidationError("--val \(val!) has a different hidden size, layer list or dtype than --data")
            }
            if let trainFormat = PromptFormat(metadataExtra: meta.extra),
                let valFormat = PromptFormat(metadataExtra: validationDataset.metadata.extra), trainFormat != valFormat
            {
                FileHandle.standardError.write(Data("warning: --data holds \(trainFormat) but --val holds \(valFormat)\n".utf8))
            }
            let records = Array(validationShare.positions(of: validationDataset.count))
            validationBase = try RecordBatchSource(
                dataset: validationDataset, records: records, layers: readLayers, featureName: featureName, budget: budget)
            validationLabels = try (0..<validationDataset.count).map { try validationDataset.info($0).labels.first ?? -1 }
        } else if !split.validation.isEmpty {
            let records = Array(split.validation[validationShare.positions(of: split.validation.count)])
            validationBase = try RecordBatchSource(
                dataset: dataset, records: records, layers: readLayers, featureName: featureName, budget: budget)
            validationLabels = try split.validation.map { try dataset.info($0).labels.first ?? -1 }
        }
        let classes = ProbeSetup.classCount(metadata: meta, labels: trainBase.labels + validationLabels)
        guard trainBase.labels.contains(where: { $0 >= 0 }) else { throw ValidationError("\(data) has no labelled records to train on") }

        var options = TrainingOptions()
        options.epochs = maxEpochs; options.batchSize = batchSize; options.learningRate = lr ?? defaults.learningRate
        options.weightDecay = weightDecay ?? defaults.weightDecay
        options.warmupFraction = warmup; options.clipNorm = clip; options.metric = selection;
        options.patience = patience ?? defaults.patience
        options.seed = seed; options.workers = threads
        if case .fixed(let value) = threshold { options.fixedThreshold = value }
        // A maximum-likelihood logistic regression is calibrated: for accuracy, P ≥ 0.5 is the rule to keep, and a
        // threshold tuned on a small validation split only adds noise (spec/PROBES.md §3, "Solvers").
        if threshold == .auto && method == .lbfgs && selection == .accuracy { options.fixedThreshold = 0.5 }
        switch classWeights {
        case nil:
            break
        case .balanced:
            options.classWeights = Trainer.balancedWeights(labels: trainBase.labels, classes: classes)
        case .weights(let w):
            guard w.count == classes else { throw ValidationError("--class-weights needs 'balanced' or \(classes) positive numbers") }
            options.classWeights = w
        }

        let config = ProbeConfiguration(
            kind: kind, hidden: meta.hidden, layers: positions, classes: classes, tokenPool: tokenPool, layerPool: layerPoolMode,
            heads: heads ?? defaults.heads, downcast: downcast ?? defaults.downcast, gateScale: gateScale ?? defaults.gateScale,
            inputNormalization: kind == .logits ? .none : normalization, featureName: featureName,
            featureWidth: kind == .logits ? trainBase.featureWidth : nil)
        var model = try Probe(configuration: config, seed: seed)
        if method == .lbfgs && !model.isHeadOnly {
            throw ValidationError(
                "--solver lbfgs fits a linear head only; --probe \(kind.rawValue) trains parameters below its head (use --solver adamw)")
        }
        if method == .lbfgs && world.size > 1 {
            throw ValidationError(
                "--solver lbfgs fits on the whole training split: run it in one process, not under MPI (or use --solver adamw)")
        }
        if tune && world.size > 1 {
            throw ValidationError("--tune trains its trials in one process: run it without MPI")
        }
        let tuneCandidates =
            tune && method == .adamw
            ? ProbeTuner.candidates(base: config, options: options, fixed: explicitTuningFlags) : []
        if tune && !tuneCandidates.isEmpty && validationBase == nil {
            throw ValidationError("--tune chooses on validation data: give --val or a --val-fraction above 0")
        }
        // The probe's parameters, gradients, optimizer state and workspaces come out of the budget first
        // (with --tune: the largest candidate's, plus the best trial's parameters kept aside).
        let workers = Probe.workerCount(Int.max, requested: threads)
        let longest = max(trainBase.longestRecord, validationBase?.longestRecord ?? 0)
        var footprint = TrainingFootprint(probe: model, workers: workers, longestRecord: longest)
        for candidate in tuneCandidates where candidate.configuration != config {
            let other = TrainingFootprint(
                probe: try Probe(configuration: candidate.configuration, parameters: nil), workers: workers, longestRecord: longest)
            if other.bytes > footprint.bytes { footprint = other }
        }
        if !tuneCandidates.isEmpty { footprint.parameterStateBytes += footprint.parameterStateBytes / (4 + workers) }
        try trainBase.reserve(footprint)
        try validationBase?.reserve(footprint)
        var train: ResumableBatchSource = trainBase
        var validation: BatchSource? = validationBase
        var pooledTrain: PooledFeatureSource?, pooledValidation: PooledFeatureSource?
        if featureCache == .auto || method == .lbfgs, model.isHeadOnly,
            PooledFeatureSource.byteCount(records: train.count + validationLabels.count, probe: model) <= trainBase.budget.dataBytes / 5
        {
            pooledTrain = try PooledFeatureSource(probe: model, base: trainBase, workers: threads)
            if let validationBase { pooledValidation = try PooledFeatureSource(probe: model, base: validationBase, workers: threads) }
            train = pooledTrain!
            validation = pooledValidation ?? validation
            AllocatorTuning.releaseFreeMemory() // the pooling pass's chunks
        }
        if method == .lbfgs && pooledTrain == nil {
            throw ValidationError(
                "--solver lbfgs keeps the pooled features in memory; they do not fit in a fifth of --memory-budget \(budget) (raise it, or use --solver adamw)"
            )
        }
        if tune && method == .lbfgs && !quiet {
            FileHandle.standardError.write(
                Data("note: --tune adds nothing to --solver lbfgs, whose C grid is already chosen on validation\n".utf8))
        }
        if !quiet {
            if let launcher = world.launcher {
                FileHandle.standardError.write(
                    Data(
                        "data-parallel over \(world.size) MPI ranks (\(launcher)), \(threads ?? 1) threads each, global batch \(batchSize)\n"
                            .utf8))
            }
            FileHandle.standardError.write(
                Data(
                    ("training \(kind.rawValue) probe: \(model.parameterCount) parameters, \(positions.count) layers, \(classes) classes, "
                        + "\(train.count) train / \(validationLabels.count) validation records, memory budget \(budget) "
                        + "(\(footprint) for the probe, the rest for hidden states)"
                        + (method == .lbfgs
                            ? ", head fitted as a logistic regression on pooled features computed once"
                            : pooledTrain != nil
                                ? ", head trained on pooled features computed once"
                                : trainBase.cachesEpochs ? ", decoded records cached after epoch 1" : "")
                        + (tuneCandidates.isEmpty ? "" : ", tuning \(tuneCandidates.count) candidates within \(tuneBudget)")
                        + "\n").utf8))
        }
        // One training run per --out: the checkpoint, its .state file and the log are this run's alone
        // (rank 0's, under MPI; every rank reads the state to resume).
        let lock = world.isLeader ? try OutputLock(file: out) : nil
        defer { lock?.release() }
        let statePath = out + ".state"
        let result: TrainingResult
        var tuning: TuningRecord?
        if method == .lbfgs {
            let grid = cGrid?.values ?? LogisticRegressionSearch.defaultGrid
            let outcome = try LogisticRegressionSearch.fit(
                probe: model, train: pooledTrain!, validation: pooledValidation, grid: grid, options: options)
            result = outcome.result
            tuning = outcome.tuning
            if let log { _ = try EpochLogWriter(path: log, existing: result.epochs) }
            if !quiet { printTrials(outcome.tuning, metric: selection) }
        } else if !tuneCandidates.isEmpty {
            let tuner = ProbeTuner(candidates: tuneCandidates, seed: seed, budgetSeconds: tuneBudget.seconds)
            let outcome = try tuner.run(train: train, validation: validation!) { trial in
                if !quiet { FileHandle.standardError.write(Data((TuningTable.line(trial, metric: selection) + "\n").utf8)) }
            }
            model = outcome.probe
            options = outcome.options
            result = outcome.result
            tuning = outcome.tuning
            if let log { _ = try EpochLogWriter(path: log, existing: result.epochs) }
            printTrials(outcome.tuning, metric: selection)
        } else {
            result = try trainOnce(
                model: model, options: options, train: train, validation: validation, statePath: statePath,
                maxEpochs: maxEpochs, world: world)
        }

        guard world.isLeader else { return }
        let formatter = ISO8601DateFormatter()
        var provenance = TrainingProvenance(
            dataset: data,
            validation: val ?? (split.validation.isEmpty ? nil : "\(split.validation.count) records held out of \(data) (seed \(seed))"),
            model: meta.model?.name, modelSHA256: meta.model?.fileSHA256, layerIndices: positions.map { meta.layers[$0].index },
            trainRecords: train.count, validationRecords: validationLabels.count, options: options, epochsRun: result.epochsRun,
            bestEpoch: result.bestEpoch, steps: result.steps, validationMetrics: result.validation,
            created: formatter.string(from: Date()), toolVersion: strataToolVersion)
        provenance.history = result.epochs.isEmpty ? nil : result.epochs
        provenance.promptFormat = PromptFormat(metadataExtra: meta.extra)
        provenance.tuning = tuning
        try ProbeCheckpoint(probe: model, threshold: result.threshold, labelNames: meta.labelNames, provenance: provenance).write(to: out)
        removeTrainingState(statePath)

        var summary = "wrote \(out): \(kind.rawValue), \(model.parameterCount) parameters, "
        if let tuning, method == .lbfgs {
            summary += "C \(tuning.trials[tuning.chosen].settings["C"] ?? "?")"
        } else {
            summary += "best epoch \(result.bestEpoch)/\(result.epochsRun)"
        }
        if let r = result.validation {
            summary += String(format: ", validation accuracy %.4f f1 %.4f macro-f1 %.4f", r.accuracy, r.f1, r.macroF1)
            if let t = result.threshold { summary += String(format: ", threshold %.4f", t) }
        }
        print(summary)
        if let peak = ProcessResources.peakResidentBytes { print("peak_rss_bytes=\(peak)") }
        if let mpi = world.mpi, world.size > 1 {
            print(
                String(
                    format: "mpi_ranks=%d mpi_allreduce_calls=%d mpi_allreduce_bytes=%d mpi_allreduce_seconds=%.3f",
                    world.size, mpi.reduceCalls, mpi.reducedBytes, mpi.reduceSeconds))
        }
    }

    /// The tuning flags the user gave explicitly (kept fixed by --tune).
    private var explicitTuningFlags: Set<String> {
        var fixed: Set<String> = []
        if lr != nil { fixed.insert("lr") }
        if gateScale != nil { fixed.insert("gate-scale") }
        if heads != nil { fixed.insert("heads") }
        return fixed
    }

    private func printTrials(_ tuning: TuningRecord, metric: SelectionMetric) {
        guard !quiet else { return }
        print(TuningTable.render(tuning, metric: metric))
    }

    /// One AdamW run with resumable state, the epoch log and progress lines.
    private func trainOnce(
        model: Probe, options: TrainingOptions, train: ResumableBatchSource, validation: BatchSource?,
        statePath: String, maxEpochs: Int, world: TrainingWorld
    ) throws -> TrainingResult {
        let quiet = self.quiet || !world.isLeader
        var resumeState: TrainingState?
        if resume {
            if FileManager.default.fileExists(atPath: statePath) {
                resumeState = try TrainingState.load(from: statePath)
                if !quiet {
                    FileHandle.standardError.write(
                        Data("resuming from \(statePath): epoch \(resumeState!.epoch), step \(resumeState!.step)\n".utf8))
                }
            } else if !quiet {
                FileHandle.standardError.write(Data("no \(statePath) to resume: starting fresh\n".utf8))
            }
        }
        let logWriter = world.isLeader ? try log.map { try EpochLogWriter(path: $0, existing: resumeState?.epochs ?? []) } : nil
        var logFailure: Error?
        var lastPrint = Date.distantPast
        let policy = StateCheckpointPolicy(path: statePath, everySteps: checkpointEvery, everySeconds: checkpointSeconds)
        let selection = metric
        let trainer = Trainer(probe: model, options: options)
        trainer.communicator = world.communicator
        let result = try trainer.fit(
            train: train, validation: validation, checkpoints: world.isLeader ? policy : nil, resume: resumeState.take()
        ) { p in
            if let record = p.epochRecord, let logWriter, logFailure == nil {
                do { try logWriter.append(record) } catch { logFailure = error }
            }
            if stepDelayMs > 0 && !p.isEpochEnd { Thread.sleep(forTimeInterval: Double(stepDelayMs) / 1000) }
            guard !quiet else { return }
            let now = Date()
            guard p.isEpochEnd || now.timeIntervalSince(lastPrint) >= 1 else { return }
            lastPrint = now
            var line = String(
                format: "epoch %d/%d  step %d/%d  loss %.4f  %.1f ex/s  lr %.2e",
                p.epoch, maxEpochs, p.step, p.totalSteps, p.loss, p.examplesPerSecond, p.learningRate)
            if let v = p.validationMetric { line += String(format: "  val %@ %.4f", selection.rawValue, v) }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if let logFailure { throw logFailure }
        return result
    }
}

/// Deletes a finished run's state file and the temporary files a kill during a save can leave
/// beside it (`.NAME.tmp-PID-N`, see `AtomicFile`).
private func removeTrainingState(_ path: String) {
    let fm = FileManager.default
    try? fm.removeItem(atPath: path)
    let directory = PathSyntax.parent(of: path), name = PathSyntax.lastComponent(of: path)
    let dir = directory.isEmpty ? "." : directory
    for entry in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where entry.hasPrefix(".\(name).tmp-") {
        try? fm.removeItem(atPath: dir + "/" + entry)
    }
}
