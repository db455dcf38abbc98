import Foundation

/// The Strata checkout whose fixtures seed the targets: `$STRATA_ROOT`, or the checkout this file was
/// compiled in (fuzz/Sources/FuzzSupport/ is three levels below it).
public enum Repository {
    public static let root: String = {
        if let root = ProcessInfo.processInfo.environment["STRATA_ROOT"], !root.isEmpty { return root }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `relative` inside the checkout.
    public static func path(_ relative: String) -> String {
        (root as NSString).appendingPathComponent(relative)
    }
}

/// With `STRATA_FUZZ_DUMP=FILE` set, writes the bytes a target actually handed to the code under test
/// (after any rewriting such as checksum repair), so a minimised crash becomes a regression fixture.
public func dumpTestedBytesIfRequested(_ bytes: [UInt8]) {
    guard let file = ProcessInfo.processInfo.environment["STRATA_FUZZ_DUMP"], !file.isEmpty else { return }
    _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
}
