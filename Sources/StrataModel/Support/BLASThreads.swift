import CBLAS

/// OpenBLAS's thread count: one setting for the whole process, so it belongs to whoever owns the process.
///
/// No model, workspace or probe changes it. The `strata` commands set it once, before any product runs:
/// `capture`, `train`, `eval` and `features` use 1 (they run one forward pass or example per core instead, and a
/// product then has one shape and one code path whatever `--workers` or `--threads` say); `hidden`,
/// `classify`, `generate` and the `bench` commands use their `--threads`, since a single pass is faster with
/// every product split over the cores. A program that embeds StrataModel sets it the same way, or through
/// OpenBLAS's `OPENBLAS_NUM_THREADS`.
public enum BLASThreads {
    /// The number of threads OpenBLAS splits one product over.
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's process-wide thread count (at least 1). Call it from the process's owner, before
    /// products run on other threads.
    public static func set(_ threads: Int) { openblas_set_num_threads(Int32(max(1, threads))) }
}
