import Foundation
import StrataTestSupport
import StrataUtilities
import Testing

@testable import StrataModel

/// The hand-vectorised kernels against plain Foundation math.
struct LlamaKernelTests {
    @Test func exponentialMatchesFoundation() {
        var worst = 0.0
        var x: Float = -86.9
        while x <= 86.8 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let ours = exponential(lanes)
            for lane in 0..<8 {
                let reference = exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(ours[lane]) - reference) / reference)
            }
            x += 0.1
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        // Clamped outside ±87: finite and positive.
        let extremes = exponential(SIMD8<Float>(-1e30, -1000, -88, 88, 1000, 1e30, .infinity, -.infinity))
        for lane in 0..<8 { #expect(extremes[lane].isFinite && extremes[lane] > 0) }
    }

    /// SwiGLU against `g·σ(g)·u` and GeGLU against PyTorch's tanh GELU `½g(1 + tanh(√(2/π)(g + 0.044715g³)))·u`,
    /// in Double, over both vector blocks and the scalar tail, including extreme gates.
    @Test(arguments: [DecoderArchitecture.Activation.silu, .geluTanh])
    func gatedActivationMatchesDefinitionIncludingExtremes(_ activation: DecoderArchitecture.Activation) {
        let width = 21 // 2 vector blocks + a scalar tail
        var random = SplitMix64(state: 42)
        var gateUp = random.values(2 * width * 3, scale: 12)
        gateUp[0] = -1e30; gateUp[1] = 1e30; gateUp[2] = -90; gateUp[3] = 90; gateUp[4] = 0
        gateUp[2 * width + 18] = -90; gateUp[2 * width + 19] = 1e30; gateUp[2 * width + 20] = -1e30 // in the tail
        let original = gateUp
        gateUp.withUnsafeMutableBufferPointer {
            gatedActivation($0.baseAddress!, width: width, activation: activation, rows: 0..<3)
        }
        /// The sigmoid's argument z: rounding it to f32 (a few operations, ~4e-7·|z|) moves e^(−z), and so the
        /// result, by as much relatively; SiLU's z is g itself, exact.
        func argumentError(_ g: Double) -> Double {
            activation == .silu || abs(g) > 1e10 ? 0 : 4e-7 * abs(1.595_769_1 * (g + 0.044715 * g * g * g))
        }
        func definition(_ g: Double) -> Double {
            switch activation {
            case .silu: return g / (1 + exp(-g))
            case .geluTanh:
                guard abs(g) < 1e10 else { return g > 0 ? g : 0 } // g³ overflows; the limits are g and 0
                // ½(1 + tanh u) written as 1 / (1 + e^(−2u)), its exact equal, which Double evaluates without
                // the cancellation of 1 + tanh u far in the negative tail.
                let u = (2 / Double.pi).squareRoot() * (g + 0.044715 * g * g * g)
                return g / (1 + exp(-2 * u))
            }
        }
        for row in 0..<3 {
            for i in 0..<width {
                let g = Double(original[row * 2 * width + i]), u = Double(original[row * 2 * width + width + i])
                let expected = definition(g) * u
                let ours = Double(gateUp[row * 2 * width + i])
                #expect(!ours.isNaN, "\(activation) row \(row) i \(i)")
                #expect(
                    abs(ours - expected) <= (1e-6 + argumentError(g)) * max(abs(expected), 1e-30) + 1e-30,
                    "\(activation) row \(row) i \(i): \(ours) vs \(expected)")
            }
        }
    }

    @Test func dotAndAxpyWithTails() {
        var random = SplitMix64(state: 7)
        for count in [1, 15, 16, 17, 64, 70] {
            let a = random.values(count, scale: 1), b = random.values(count, scale: 1)
            let expected = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(Double(dot(a, b, count)) - expected) < 1e-5)
            var y = b
            y.withUnsafeMutableBufferPointer { axpy(0.5, a, $0.baseAddress!, count) }
            for i in 0..<count { #expect(abs(Double(y[i]) - (Double(b[i]) + 0.5 * Double(a[i]))) < 1e-6) }
        }
    }
}
