/// The linear head `logits = W v + b` (W: C×width, b: C), forward next to backward.
struct LinearHead: Sendable {
    let inputWidth: Int
    let outputs: Int
    let offset: Int

    init(inputWidth: Int, outputs: Int, layout: inout ParameterLayout) {
        self.inputWidth = inputWidth
        self.outputs = outputs
        offset = layout.add("head.weight", shape: [outputs, inputWidth])
        _ = layout.add("head.bias", shape: [outputs], decays: false)
    }

    var parameterCount: Int { outputs * (inputWidth + 1) }

    func initialize(_ params: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let bound = 1 / Float(inputWidth).squareRoot()
        for j in 0..<(outputs * inputWidth) { params[offset + j] = rng.uniform(bound) }
        for j in 0..<outputs { params[offset + outputs * inputWidth + j] = 0 }
    }

    func forward(v: UnsafePointer<Float>, params: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        let w = params + offset, b = w + outputs * inputWidth
        for c in 0..<outputs { logits[c] = b[c] + ElementwiseOps.dot(w + c * inputWidth, v, count: inputWidth) }
    }

    /// `dW += dLogits ⊗ v`, `db += dLogits`, `dv = Wᵀ dLogits` (overwritten) when given.
    func backward(
        v: UnsafePointer<Float>, params: UnsafePointer<Float>, dLogits: UnsafePointer<Float>,
        grads: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>?
    ) {
        let w = params + offset, dW = grads + offset, dB = dW + outputs * inputWidth
        dV?.update(repeating: 0, count: inputWidth)
        for c in 0..<outputs {
            let g = dLogits[c]
            dB[c] += g
            ElementwiseOps.axpy(g, v, dW + c * inputWidth, count: inputWidth)
            if let dV { ElementwiseOps.axpy(g, w + c * inputWidth, dV, count: inputWidth) }
        }
    }
}
