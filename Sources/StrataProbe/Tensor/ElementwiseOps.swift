import CBLAS
import Foundation

/// Elementwise maps with their derivatives.
public enum ElementwiseOps {
    /// Forward of tanh, in place allowed (`y` may equal `x`).
    @inline(__always)
    public static func tanhForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] = tanhf(x[i]) }
    }

    /// Logistic sigmoid, stable for large |z|.
    @inline(__always)
    public static func sigmoid(_ z: Float) -> Float {
        z >= 0
            ? 1 / (1 + expf(-z))
            : {
                let e = expf(z); return e / (1 + e)
            }()
    }

    /// `log(1 + exp(z))`, stable for large |z|.
    @inline(__always)
    public static func softplus(_ z: Float) -> Float {
        z > 0 ? z + log1pf(expf(-z)) : log1pf(expf(z))
    }

    /// `y += a · x`.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += a * x[i] }
    }

    /// Dot product in f32 (BLAS sdot: vectorised, unlike a plain Swift float reduction).
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
        n == 0 ? 0 : cblas_sdot(Int32(n), x, 1, y, 1)
    }
}
