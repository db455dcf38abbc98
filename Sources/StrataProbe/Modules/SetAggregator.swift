/// One aggregation module of the two-stage template: it maps a set of n rows of width d (some
/// rows excluded by a mask) to one row of width d. The token stage uses one per layer; the layer
/// stage one over the layer summaries.
///
/// Each kind's forward and backward live together in its own file (`PoolingAggregator`,
/// `GateAggregator`, `MultiHeadAggregator`); this type only dispatches. Dispatch happens once per
/// (example, layer), never per element.
public enum AggregatorKind: Codable, Sendable, Equatable {
    /// Parameter-free mean or max over valid rows.
    case pool(PoolMode)
    /// The last valid row (the last-token baseline).
    case lastRow
    /// Scoring-attention gate: α = softmax(τ·tanh(Xw)), output Σ α_i x_i.
    case gate(learnableScale: Bool)
    /// Downcast multi-head self-attention with mean/max pooling.
    case attention(heads: Int, inner: Int, pool: PoolMode)
}

/// A module instance: its kind, width and where its parameters live in the probe's flat vector.
struct SetAggregator: Sendable {
    let kind: AggregatorKind
    let width: Int
    let offset: Int

    init(kind: AggregatorKind, width: Int, name: String, layout: inout ParameterLayout) {
        self.kind = kind
        self.width = width
        switch kind {
        case .pool, .lastRow:
            offset = layout.totalCount
        case .gate(let scale):
            offset = layout.add("\(name).w", shape: [width])
            if scale { _ = layout.add("\(name).scale", shape: [1], decays: false) }
        case .attention(_, let inner, _):
            offset = layout.add("\(name).w_qkv", shape: [width, 3 * inner])
            _ = layout.add("\(name).w_out", shape: [inner, width])
        }
    }

    /// Number of parameters this module owns.
    var parameterCount: Int {
        switch kind {
        case .pool, .lastRow: return 0
        case .gate(let scale): return width + (scale ? 1 : 0)
        case .attention(_, let inner, _): return 4 * width * inner
        }
    }

    /// Writes initial values (U(±1/√fan_in) for matrices, 1 for the gate scale).
    func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        switch kind {
        case .pool, .lastRow: break
        case .gate(let scale):
            let bound = 1 / Float(width).squareRoot()
            for j in 0..<width { params[offset + j] = rng.uniform(bound) }
            if scale { params[offset + width] = 1 }
        case .attention(_, let inner, _):
            let bIn = 1 / Float(width).squareRoot(), bOut = 1 / Float(inner).squareRoot()
            for j in 0..<(3 * width * inner) { params[offset + j] = rng.uniform(bIn) }
            for j in 0..<(inner * width) { params[offset + 3 * width * inner + j] = rng.uniform(bOut) }
        }
    }

    /// What this module needs of a thread's workspace for a set of `rows` rows.
    func workspace(rows: Int) -> AggregatorWorkspace {
        switch kind {
        case .pool(let mode): return PoolingAggregator.workspace(mode: mode, width: width)
        case .lastRow: return AggregatorWorkspace()
        case .gate: return GateAggregator.workspace(rows: rows)
        case .attention(let heads, let inner, let pool):
            return MultiHeadAggregator(width: width, inner: inner, heads: heads, pool: pool).workspace(rows: rows)
        }
    }

    /// Forward over `rows` rows at `x` (row stride = width) → `out` (width values). `cache` keeps
    /// what the backward needs; `shared` is per-thread temporary space.
    func forward(
        x: UnsafePointer<Float>, rows: Int, mask: UnsafePointer<UInt8>?, params: UnsafePointer<Float>,
        cache: AggregatorCache, shared: SharedScratch, out: UnsafeMutablePointer<Float>
    ) {
        switch kind {
        case .pool(let mode):
            PoolingAggregator.forward(mode: mode, x: x, rows: rows, mask: mask, width: width, cache: cache, out: out)
        case .lastRow:
            PoolingAggregator.lastRowForward(x: x, rows: rows, mask: mask, width: width, cache: cache, out: out)
        case .gate(let scale):
            GateAggregator.forward(
                x: x, rows: rows, mask: mask, width: width, w: params + offset,
                scale: scale ? params[offset + width] : 1, cache: cache, out: out)
        case .attention(let heads, let inner, let pool):
            MultiHeadAggregator(width: width, inner: inner, heads: heads, pool: pool).forward(
                x: x, rows: rows, mask: mask, params: params + offset, cache: cache, shared: shared, out: out)
        }
    }

    /// Backward: accumulates parameter gradients into `grads` (same layout as params) and, when `dX`
    /// is given, input gradients into `dX`. Must follow the matching `forward` with the same cache.
    func backward(
        x: UnsafePointer<Float>, rows: Int, mask: UnsafePointer<UInt8>?, params: UnsafePointer<Float>,
        cache: AggregatorCache, shared: SharedScratch, dOut: UnsafePointer<Float>,
        grads: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?
    ) {
        switch kind {
        case .pool(let mode):
            PoolingAggregator.backward(mode: mode, rows: rows, mask: mask, width: width, cache: cache, dOut: dOut, dX: dX)
        case .lastRow:
            PoolingAggregator.lastRowBackward(width: width, cache: cache, dOut: dOut, dX: dX)
        case .gate(let scale):
            GateAggregator.backward(
                x: x, rows: rows, width: width, w: params + offset, scale: scale ? params[offset + width] : 1,
                cache: cache, shared: shared, dOut: dOut, dW: grads + offset,
                dScale: scale ? grads + offset + width : nil, dX: dX)
        case .attention(let heads, let inner, let pool):
            MultiHeadAggregator(width: width, inner: inner, heads: heads, pool: pool).backward(
                x: x, rows: rows, mask: mask, params: params + offset, cache: cache, shared: shared,
                dOut: dOut, grads: grads + offset, dX: dX)
        }
    }
}

/// Activations one module instance keeps between forward and backward (one per module per thread).
final class AggregatorCache {
    let a = FloatScratch()
    let b = FloatScratch()
    let c = FloatScratch()
    let indices = IndexScratch()
    var lastRow = -1
    init() {}

    var byteCount: Int { a.byteCount + b.byteCount + c.byteCount + indices.byteCount }
}

/// Per-thread temporary space shared by all modules (not kept across modules).
final class SharedScratch {
    let s1 = FloatScratch()
    let s2 = FloatScratch()
    let s3 = FloatScratch()
    let s4 = FloatScratch()
    init() {}

    var byteCount: Int { s1.byteCount + s2.byteCount + s3.byteCount + s4.byteCount }
}

/// What one module instance needs of a thread's workspace for a set of rows, in elements: its cache
/// (`cacheFloats` f32 in `a`/`b`/`c`, `cacheIndices` Int32 in `indices`; one cache per module) and
/// its use of each `SharedScratch` slot s1…s4 (shared by every module of the thread, so a probe needs
/// the largest use of each slot). Each kind states it next to its forward and backward, from the
/// same sizes their `ensure` calls ask for; `Probe.workspaceBytes` adds it up so training can reserve
/// its workers' memory inside `--memory-budget` (checked against real allocations by a test).
struct AggregatorWorkspace: Equatable {
    var cacheFloats = 0
    var cacheIndices = 0
    var shared = [0, 0, 0, 0]
}
