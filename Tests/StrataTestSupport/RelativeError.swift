/// Relative L2 error ‖x − y‖ / ‖x‖ of each `hidden`-sized vector of `x` (the reference) against `y`,
/// computed in Double (0 for an all-zero vector): the quantity q8's bound is stated in (spec/FORMAT.md §5.1).
public func relativeL2Errors(_ x: [Float], _ y: [Float], hidden: Int) -> [Double] {
    precondition(x.count == y.count && x.count % hidden == 0, "relativeL2Errors: shapes differ")
    return stride(from: 0, to: x.count, by: hidden).map { start in
        var error = 0.0, norm = 0.0
        for c in start..<(start + hidden) {
            let d = Double(x[c]) - Double(y[c])
            error += d * d
            norm += Double(x[c]) * Double(x[c])
        }
        return norm == 0 ? 0 : (error / norm).squareRoot()
    }
}
