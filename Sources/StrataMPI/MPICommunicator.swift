import Dispatch
import StrataProbe

#if canImport(Glibc)
    import Glibc
#endif

/// Data-parallel training over MPI's world communicator (Open MPI, loaded at run time:
/// `OpenMPILibrary`). Sums are `MPI_Allreduce(MPI_IN_PLACE, …, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD)`.
public final class MPICommunicator: TrainingCommunicator {
    public let rank: Int
    public let world: Int
    private let library: OpenMPILibrary
    private var finished = false
    /// Wall time spent in `MPI_Allreduce` so far (waiting for slower ranks included).
    public private(set) var reduceSeconds = 0.0
    /// `sumAcrossRanks` calls and the bytes each rank contributed to them.
    public private(set) var reduceCalls = 0
    public private(set) var reducedBytes = 0

    /// Loads Open MPI, initialises it (if nothing has yet) and joins the world.
    public init(environment: [String: String]) throws {
        library = try OpenMPILibrary.load(environment: environment)
        var isInitialized: Int32 = 0
        try library.check(library.initialized(&isInitialized), "MPI_Initialized")
        if isInitialized == 0 {
            var provided: Int32 = 0
            try library.check(library.initThread(nil, nil, OpenMPILibrary.threadFunneled, &provided), "MPI_Init_thread")
        }
        var r: Int32 = 0, w: Int32 = 0
        try library.check(library.commRank(library.commWorld, &r), "MPI_Comm_rank")
        try library.check(library.commSize(library.commWorld, &w), "MPI_Comm_size")
        rank = Int(r)
        world = Int(w)
    }

    public func sumAcrossRanks(_ values: inout [Float]) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            reduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            reduceCalls += 1
            reducedBytes += values.count * MemoryLayout<Float>.size
        }
        let limit = Int(Int32.max)
        try values.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let count = min(limit, buffer.count - start)
                try library.check(
                    library.allreduce(
                        OpenMPILibrary.inPlace, buffer.baseAddress! + start, Int32(count),
                        library.floatType, library.sumOp, library.commWorld),
                    "MPI_Allreduce of \(count) floats")
                start += count
            }
        }
    }

    /// Leaves MPI (`MPI_Finalize`); call once, after the last collective call, on every rank.
    public func finish() {
        guard !finished else { return }
        finished = true
        _ = library.finalize()
    }

    /// Ends every rank of the job (`MPI_Abort`): what a rank does on an error, so that the others
    /// do not wait for it forever in the next all-reduce.
    public func abortAll(exitCode: Int32) -> Never {
        _ = library.abort(library.commWorld, exitCode)
        exit(exitCode)
    }
}
