import Strata

/// Where a rank's pass stands among the epoch's optimizer steps: how many of the current step's
/// records (this rank's slice, `StepSlices`) are still to come. Both training streams group records
/// into steps through it, so every rank ends each step on the same step boundary, including steps
/// whose slice is empty for this rank (which still take part in the step's gradient reduction).
struct StepCounter {
    let slices: StepSlices
    /// Records in the epoch across all ranks.
    let total: Int
    /// Steps of the epoch completed.
    private(set) var step: Int
    /// This rank's records of `step` not yet handed out.
    private(set) var leftInStep: Int

    init(slices: StepSlices, total: Int, startStep: Int) {
        self.slices = slices
        self.total = total
        step = startStep
        leftInStep = slices.recordCount(step: startStep, of: total)
    }

    /// The steps the resumed stream state `resume` had completed: its `steps` field, or for a
    /// single-process state (no step slices) its position rounded up to a step boundary.
    static func completedSteps(_ resume: StreamState?, slices: StepSlices, total: Int) throws -> Int {
        guard let resume else { return 0 }
        if let steps = resume.steps {
            guard steps <= slices.stepCount(of: total) else {
                throw StreamError.positionOutOfRange(position: steps, count: slices.stepCount(of: total))
            }
            return steps
        }
        guard slices.partition.world == 1 else {
            throw StreamError.badState(path: "state", reason: "a data-parallel stream state must say how many steps were completed")
        }
        return (resume.position + slices.globalBatch - 1) / slices.globalBatch
    }

    /// This rank's stream state for resuming `saved` (a state any rank of the world saved at a step
    /// boundary): its own rank and position.
    static func rankState(_ saved: StreamState, slices: StepSlices, steps: Int) -> StreamState {
        guard saved.stepBatch != nil else { return saved }
        var state = saved
        state.rank = slices.partition.rank
        state.position = slices.localPosition(afterSteps: steps, of: saved.recordCount)
        return state
    }

    /// Whether every step of the epoch was handed out.
    var isFinished: Bool { step >= slices.stepCount(of: total) }

    /// Counts one record of the current step; true when it completed the step.
    mutating func take() -> Bool {
        leftInStep -= 1
        if leftInStep > 0 { return false }
        finishStep()
        return true
    }

    /// Moves to the next step (call directly for a step with no records on this rank).
    mutating func finishStep() {
        step += 1
        leftInStep = slices.recordCount(step: step, of: total)
    }
}
