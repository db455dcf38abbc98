/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4) with a backtracking Armijo line search,
/// for smooth convex objectives such as `LogisticRegression`'s.
enum LBFGS {
    struct Result {
        var value: Double
        var iterations: Int
        var converged: Bool
    }

    /// Minimises `f` from `x` (updated in place). `f(x, &g)` returns the value and writes the gradient.
    /// Stops when max|g| ≤ `tolerance` (converged), when no step along the direction lowers f, or after `maxIterations`.
    static func minimize(
        _ x: inout [Double], history m: Int = 10, tolerance: Double, maxIterations: Int,
        _ f: (_ x: [Double], _ gradient: inout [Double]) -> Double
    ) -> Result {
        let n = x.count
        var g = [Double](repeating: 0, count: n)
        var value = f(x, &g)
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var iteration = 0
        while iteration < maxIterations {
            if maxAbs(g) <= tolerance { return Result(value: value, iterations: iteration, converged: true) }
            // Two-loop recursion: direction = −H·g.
            var q = g
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                alphas[k] = rhoHistory[k] * dot(sHistory[k], q)
                axpy(-alphas[k], yHistory[k], &q)
            }
            if let s = sHistory.last, let y = yHistory.last {
                let gamma = dot(s, y) / dot(y, y)
                for j in 0..<n { q[j] *= gamma }
            } else {
                let norm = dot(g, g).squareRoot()
                for j in 0..<n { q[j] /= max(norm, 1) }
            }
            for k in 0..<sHistory.count {
                let beta = rhoHistory[k] * dot(yHistory[k], q)
                axpy(alphas[k] - beta, sHistory[k], &q)
            }
            var direction = q.map { -$0 }
            var slope = dot(g, direction)
            if slope >= 0 { // not a descent direction (numerical trouble): restart from steepest descent
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                direction = g.map { -$0 }
                slope = dot(g, direction)
            }
            // Backtracking line search (Armijo, c1 = 1e-4).
            var step = 1.0, trial = x, trialGradient = g, trialValue = value, accepted = false
            for _ in 0..<50 {
                for j in 0..<n { trial[j] = x[j] + step * direction[j] }
                trialValue = f(trial, &trialGradient)
                if trialValue.isFinite && trialValue <= value + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            iteration += 1
            guard accepted else { return Result(value: value, iterations: iteration, converged: maxAbs(g) <= tolerance) }
            var s = [Double](repeating: 0, count: n), y = s
            for j in 0..<n { s[j] = trial[j] - x[j]; y[j] = trialGradient[j] - g[j] }
            let sy = dot(s, y)
            let decrease = value - trialValue
            x = trial; g = trialGradient
            value = trialValue
            if sy > 1e-12 {
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
                if sHistory.count > m { sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst() }
            }
            if decrease <= 0 { return Result(value: value, iterations: iteration, converged: maxAbs(g) <= tolerance) }
        }
        return Result(value: value, iterations: iteration, converged: maxAbs(g) <= tolerance)
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in 0..<a.count { s += a[j] * b[j] }
        return s
    }

    private static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        for j in 0..<x.count { y[j] += alpha * x[j] }
    }

    private static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
}
