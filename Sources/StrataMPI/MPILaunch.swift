/// What the environment says about how this process was started: by an MPI launcher (Open MPI's
/// `mpirun`, or Slurm's `srun --mpi=pmix` / `--mpi=pmi2`), or by `srun` with several tasks but no
/// MPI plugin (which would make every task a separate one-rank run).
public struct MPILaunch: Sendable, Equatable {
    /// The launcher, in words (for messages).
    public let launcher: String
    /// Ranks the launcher started, when it says.
    public let worldSize: Int?

    /// The launch this environment describes, or nil when no MPI launcher started the process.
    public static func detect(environment: [String: String]) -> MPILaunch? {
        if let size = environment["OMPI_COMM_WORLD_SIZE"] {
            return MPILaunch(launcher: "mpirun (Open MPI)", worldSize: Int(size))
        }
        if environment["PMIX_RANK"] != nil {
            return MPILaunch(
                launcher: "PMIx (srun --mpi=pmix or prterun)", worldSize: environment["SLURM_STEP_NUM_TASKS"].flatMap { Int($0) })
        }
        if environment["PMI_RANK"] != nil || environment["PMI_FD"] != nil {
            return MPILaunch(launcher: "PMI (srun --mpi=pmi2)", worldSize: environment["PMI_SIZE"].flatMap { Int($0) })
        }
        return nil
    }

    /// Tasks of a Slurm job step started without an MPI plugin (nil when not under such a step).
    public static func srunTasksWithoutMPI(environment: [String: String]) -> Int? {
        guard detect(environment: environment) == nil, environment["SLURM_STEP_ID"] != nil,
            let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap({ Int($0) }), tasks > 1
        else { return nil }
        return tasks
    }

    /// Ranks on this node, when the launcher says (to divide the cores among them).
    public static func localRanks(environment: [String: String]) -> Int? {
        if let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap({ Int($0) }) { return local }
        // Slurm: "2" or "2(x3)" (two tasks on each of three nodes) — the first node's count.
        if let perNode = environment["SLURM_STEP_TASKS_PER_NODE"] {
            return Int(perNode.prefix { $0.isNumber })
        }
        return nil
    }
}
