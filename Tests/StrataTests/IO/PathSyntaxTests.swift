import Foundation
import Strata
import Testing

/// `PathSyntax` gives NSString's answers, including for the paths on which swift-corelibs-foundation's
/// `deletingLastPathComponent` / `lastPathComponent` trap (found by fuzz/, FuzzManifest).
@Suite struct PathSyntaxTests {
    /// Paths NSString handles: the answers must be NSString's (the independent reference).
    @Test(arguments: [
        "/tmp/scratch.tiff", "/tmp/lock/", "/tmp/", "/tmp", "/", "scratch.tiff", "ab", "ab/cd",
        "data/shards/s-0.strata", "a//b", "/a//b//", "sub/../x", "./x", ""
    ])
    func agreesWithNSStringWhereItWorks(path: String) {
        #expect(PathSyntax.parent(of: path) == (path as NSString).deletingLastPathComponent)
        #expect(PathSyntax.lastComponent(of: path) == (path as NSString).lastPathComponent)
    }

    /// Paths on which NSString traps (Swift 6.3.1): one-character paths and the minimised fuzz input.
    @Test func pathsThatTrapFoundationHaveTheDocumentedAnswers() {
        #expect(PathSyntax.parent(of: "a") == "")
        #expect(PathSyntax.parent(of: "a//") == "")
        #expect(PathSyntax.lastComponent(of: "a//") == "a")
        #expect(PathSyntax.parent(of: "/data/Y///g//") == "/data/Y")
        #expect(PathSyntax.parent(of: "///g//") == "/")
        #expect(PathSyntax.lastComponent(of: "///g//") == "g")
    }
}
