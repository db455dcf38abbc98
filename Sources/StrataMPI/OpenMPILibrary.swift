#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few entry points of Open MPI's C library that data-parallel training uses, loaded at run
/// time with `dlopen`, so that the package builds, and every single-process command runs, where
/// MPI is not installed. The handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`) are the addresses
/// of Open MPI's predefined objects (`ompi_mpi_comm_world`, …), which is how Open MPI's own mpi.h
/// defines them: this binds Open MPI's ABI (Debian's libopenmpi3, libmpi.so.40), not MPICH's.
final class OpenMPILibrary {
    typealias Handle = UnsafeMutableRawPointer

    let initThread: @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    let initialized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalize: @convention(c) () -> Int32
    let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    let abort: @convention(c) (Handle, Int32) -> Int32
    let errorString: @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    let commWorld: Handle
    let floatType: Handle
    let sumOp: Handle

    /// `MPI_IN_PLACE` in Open MPI's mpi.h: `((void *) 1)`.
    static let inPlace = UnsafeRawPointer(bitPattern: 1)
    /// `MPI_THREAD_FUNNELED`: several threads, MPI called only from the one that initialised it.
    static let threadFunneled: Int32 = 1
    /// The longest message `MPI_Error_string` writes (`MPI_MAX_ERROR_STRING` is 256 in Open MPI 4).
    static let maxErrorString = 256

    /// Files tried in order when `STRATA_LIBMPI` is not set.
    static let defaultCandidates = ["libmpi.so.40", "libmpi.so"]

    /// Loads Open MPI from `STRATA_LIBMPI` (a path or file name) or the default candidates.
    static func load(environment: [String: String]) throws -> OpenMPILibrary {
        let candidates = environment["STRATA_LIBMPI"].flatMap { $0.isEmpty ? nil : [$0] } ?? defaultCandidates
        var reasons: [String] = []
        for name in candidates {
            // RTLD_GLOBAL: Open MPI's plugins (mca_*.so), loaded by MPI_Init, resolve symbols of libmpi itself.
            if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) {
                return try OpenMPILibrary(handle: handle, path: name)
            }
            reasons.append("\(name): \(dlerror().map { String(cString: $0) } ?? "not found")")
        }
        throw MPIError(
            what: "cannot load Open MPI",
            detail: reasons.joined(separator: "; ")
                + " — install it (Debian: apt-get install openmpi-bin libopenmpi-dev) or point STRATA_LIBMPI at libmpi.so")
    }

    private init(handle: UnsafeMutableRawPointer, path: String) throws {
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else {
                throw MPIError(what: "\(path) is not Open MPI's libmpi", detail: "it has no symbol \(name)")
            }
            return address
        }
        func function<F>(_ name: String, as type: F.Type) throws -> F {
            unsafeBitCast(try symbol(name), to: type)
        }
        initThread = try function("MPI_Init_thread", as: type(of: initThread))
        initialized = try function("MPI_Initialized", as: type(of: initialized))
        finalized = try function("MPI_Finalized", as: type(of: finalized))
        finalize = try function("MPI_Finalize", as: type(of: finalize))
        commRank = try function("MPI_Comm_rank", as: type(of: commRank))
        commSize = try function("MPI_Comm_size", as: type(of: commSize))
        allreduce = try function("MPI_Allreduce", as: type(of: allreduce))
        abort = try function("MPI_Abort", as: type(of: abort))
        errorString = try function("MPI_Error_string", as: type(of: errorString))
        commWorld = try symbol("ompi_mpi_comm_world")
        floatType = try symbol("ompi_mpi_float")
        sumOp = try symbol("ompi_mpi_op_sum")
    }

    /// Throws an `MPIError` naming `call` when `code` is not `MPI_SUCCESS`.
    func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: Self.maxErrorString + 1)
        var length: Int32 = 0
        _ = errorString(code, &text, &length)
        throw MPIError(what: "\(call) failed", detail: "error \(code): \(String(cString: text))")
    }
}
