import ArgumentParser
import Foundation
import StrataMPI
import StrataProbe

/// `strata train --distributed`: whether the run is one process or one rank of an MPI job.
enum DistributedMode: String, CaseIterable, ExpressibleByArgument {
    /// MPI when an MPI launcher (mpirun, srun --mpi=pmix|pmi2) started the process, else one process.
    case auto
    /// Always join MPI (an error when Open MPI cannot be loaded).
    case mpi
    /// One process, whatever the environment says.
    case none
}

/// The data-parallel world one `strata train` process belongs to: one process, or one rank of an
/// MPI job (rank 0 alone writes the checkpoint, the state file and the log).
struct TrainingWorld {
    let communicator: TrainingCommunicator
    let mpi: MPICommunicator?
    /// How the ranks were started, in words (nil for one process).
    let launcher: String?
    /// Ranks sharing this machine's cores.
    let localRanks: Int

    var rank: Int { communicator.rank }
    var size: Int { communicator.world }
    /// Whether this process writes the run's files and prints its progress.
    var isLeader: Bool { rank == 0 }

    static func join(_ mode: DistributedMode, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TrainingWorld {
        let launch = MPILaunch.detect(environment: environment)
        let useMPI: Bool
        switch mode {
        case .none: useMPI = false
        case .mpi: useMPI = true
        case .auto:
            if let tasks = MPILaunch.srunTasksWithoutMPI(environment: environment) {
                throw ValidationError(
                    "srun started \(tasks) tasks without an MPI plugin, so each would train alone: "
                        + "launch with srun --mpi=pmix (or --mpi=pmi2), or pass --distributed none to train \(tasks) separate runs on purpose"
                )
            }
            useMPI = launch != nil
        }
        guard useMPI else {
            return TrainingWorld(communicator: SingleProcessCommunicator(), mpi: nil, launcher: nil, localRanks: 1)
        }
        let mpi = try MPICommunicator(environment: environment)
        return TrainingWorld(
            communicator: mpi, mpi: mpi, launcher: launch?.launcher ?? "MPI",
            localRanks: max(1, min(mpi.world, MPILaunch.localRanks(environment: environment) ?? mpi.world)))
    }

    /// Worker threads per rank: `requested`, or the machine's cores divided among its ranks.
    func workerThreads(requested: Int?) -> Int? {
        guard requested == nil, size > 1 else { return requested }
        return max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks)
    }

    /// Runs `body`, then leaves MPI. An error on one rank of several ends the whole job (`MPI_Abort`),
    /// after printing it with the rank, since the other ranks would otherwise wait for this one forever.
    func run(_ body: () throws -> Void) throws {
        do {
            try body()
            mpi?.finish()
        } catch {
            if let mpi, size > 1 {
                FileHandle.standardError.write(
                    Data(
                        "strata train (rank \(rank) of \(size)): error: \(SystemErrorMessage(error)?.description ?? "\(SettingFlags.error(for: error))")\n"
                            .utf8))
                mpi.abortAll(exitCode: 1)
            }
            mpi?.finish()
            throw error
        }
    }
}
