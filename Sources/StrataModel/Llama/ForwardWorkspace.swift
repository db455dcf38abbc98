/// One forward worker's private state: how many threads its forward passes use for the steps outside the
/// matrix products (RMSNorm, RoPE, attention, SwiGLU), and the scratch activations, kept from call to call
/// and grown to the largest batch seen.
///
/// The model's weights are read-only, so any number of forward passes may run at once as long as each has
/// its own workspace (`ForwardWorkers` keeps one per worker). A workspace must not be used by two calls at
/// the same time.
public final class ForwardWorkspace: @unchecked Sendable {
    /// Threads for the non-BLAS steps of a forward pass using this workspace.
    public let threads: Int
    /// Which worker owns it (0 for a workspace made for a single call); lets callers keep per-worker state.
    public let index: Int

    private var residual = FloatBuffer(count: 0)
    private var normed = FloatBuffer(count: 0)
    private var queryKeyValue = FloatBuffer(count: 0)
    private var attention = FloatBuffer(count: 0)
    private var gateUp = FloatBuffer(count: 0)

    public init(threads: Int = 1, index: Int = 0) {
        self.threads = max(1, threads)
        self.index = index
    }

    /// The activations of one forward pass over `rows` packed rows, all row-major `[rows × width]`:
    /// the residual stream, the normed input of a sub-layer, `[q | k | v]`, the attention output and
    /// `[gate | up]`. Contents are left from the previous call; every step writes before it reads.
    func activations(rows: Int, config: LlamaConfig) -> Activations {
        let qkvWidth = config.queryWidth + 2 * config.keyValueWidth
        func sized(_ buffer: inout FloatBuffer, _ count: Int) -> UnsafeMutablePointer<Float> {
            if buffer.count < count { buffer = FloatBuffer(count: count) }
            return buffer.pointer
        }
        return Activations(
            residual: sized(&residual, rows * config.hiddenSize),
            normed: sized(&normed, rows * config.hiddenSize),
            queryKeyValue: sized(&queryKeyValue, rows * qkvWidth),
            attention: sized(&attention, rows * config.queryWidth),
            gateUp: sized(&gateUp, rows * 2 * config.feedForwardSize))
    }

    /// Pointers into the workspace's buffers, valid until the next `activations` call.
    struct Activations {
        let residual: UnsafeMutablePointer<Float>
        let normed: UnsafeMutablePointer<Float>
        let queryKeyValue: UnsafeMutablePointer<Float>
        let attention: UnsafeMutablePointer<Float>
        let gateUp: UnsafeMutablePointer<Float>
    }
}
