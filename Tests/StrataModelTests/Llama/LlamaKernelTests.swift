import Foundation
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

    @Test func swiGLUMatchesDefinitionIncludingExtremes() {
        let width = 21   // 2 vector blocks + a scalar tail
        var random = SplitMix64(state: 42)
        var gateUp = random.values(2 * width * 3, scale: 12)
        gateUp[0] = -1e30; gateUp[1] = 1e30; gateUp[2] = -90; gateUp[3] = 90; gateUp[4] = 0
        let original = gateUp
        gateUp.withUnsafeMutableBufferPointer { swiGLU($0.baseAddress!, width: width, rows: 0..<3) }
        for row in 0..<3 {
            for i in 0..<width {
                let g = Double(original[row * 2 * width + i]), u = Double(original[row * 2 * width + width + i])
                let expected = g / (1 + exp(-g)) * u
                let ours = Double(gateUp[row * 2 * width + i])
                #expect(!ours.isNaN)
                #expect(abs(ours - expected) <= 1e-6 * max(abs(expected), 1e-30) + 1e-30, "row \(row) i \(i): \(ours) vs \(expected)")
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
