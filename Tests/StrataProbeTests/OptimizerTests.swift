import Foundation
import Testing

@testable import StrataProbe

@Test func adamWMatchesPyTorch() {
    var layout = ParameterLayout()
    _ = layout.add("w", shape: [6])
    var opt = AdamW(layout: layout, weightDecay: 0.05)
    var p = Reference.adamInitial
    for g in Reference.adamGradients { opt.update(parameters: &p, gradients: g, learningRate: 0.01) }
    for (a, b) in zip(p, Reference.adamFinal) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(a) vs torch \(b)") }
}

@Test func adamWDoesNotDecayBiases() {
    var layout = ParameterLayout()
    _ = layout.add("bias", shape: [2], decays: false)
    var opt = AdamW(layout: layout, weightDecay: 0.5)
    var p: [Float] = [1, -1]
    opt.update(parameters: &p, gradients: [0, 0], learningRate: 0.1)
    #expect(p == [1, -1])
}

@Test func cosineScheduleWithWarmup() {
    let s = CosineSchedule(peak: 1e-3, warmupSteps: 4, totalSteps: 104)
    #expect(abs(s.rate(at: 0) - 0.25e-3) < 1e-9)
    #expect(abs(s.rate(at: 3) - 1e-3) < 1e-9)
    #expect(abs(s.rate(at: 4) - 1e-3) < 1e-9) // cos(0)
    #expect(abs(s.rate(at: 54) - 0.5e-3) < 1e-8) // half way: (1 + cos π/2)/2
    #expect(abs(s.rate(at: 104)) < 1e-9) // end: cos π
    for k in 5..<104 { #expect(s.rate(at: k) <= s.rate(at: k - 1)) }
}

@Test func gradientClippingScalesToTheMaximumNorm() {
    var g: [Float] = [3, 4]
    let norm = clipGradientNorm(&g, maxNorm: 1)
    #expect(norm == 5)
    #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
    var small: [Float] = [0.3, 0.4]
    clipGradientNorm(&small, maxNorm: 1)
    #expect(small == [0.3, 0.4])
}
