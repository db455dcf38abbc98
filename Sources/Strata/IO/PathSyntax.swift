/// Lexical path operations (no file-system access) that give NSString's documented answers for
/// every path. swift-corelibs-foundation's `NSString.deletingLastPathComponent` and
/// `lastPathComponent` trap on some paths — a one-character path such as `a` or `a//`, and runs of
/// slashes such as `data/Y///g//` (a precondition in `String._startOfLastPathComponent`, Swift
/// 6.3.1) — and Strata takes such paths from the command line and from untrusted manifests.
/// Found by fuzz/ (FuzzManifest); see fuzz/README.md.
public enum PathSyntax {
    /// The path without its last component: `/tmp/a.strata` → `/tmp`, `/tmp/` → `/`, `/` → `/`,
    /// `a.strata` → `` (empty: the current directory), `a//b//` → `a`. Runs of slashes count as one.
    public static func parent(of path: String) -> String {
        var components = path.split(separator: "/", omittingEmptySubsequences: true)
        let isAbsolute = path.hasPrefix("/")
        guard !components.isEmpty else { return isAbsolute ? "/" : "" }
        components.removeLast()
        let joined = components.joined(separator: "/")
        return isAbsolute ? "/" + joined : joined
    }

    /// The last component: `/tmp/a.strata` → `a.strata`, `/tmp/` → `tmp`, `/` → `/`, `` → ``.
    public static func lastComponent(of path: String) -> String {
        guard let last = path.split(separator: "/", omittingEmptySubsequences: true).last else {
            return path.hasPrefix("/") ? "/" : ""
        }
        return String(last)
    }
}
