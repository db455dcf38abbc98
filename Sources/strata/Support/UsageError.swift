import Foundation

/// A problem with command-line values, phrased for the user.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
