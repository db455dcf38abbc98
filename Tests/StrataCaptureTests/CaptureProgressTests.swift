import Testing

@testable import StrataCapture

/// The progress line's rates and ETA (from known token totals), and its formatting.
struct CaptureProgressTests {
    @Test func rateAndETAFollowTheTokenCounts() {
        let s = CaptureProgress.Snapshot(
            records: 50, tokens: 2_000, recordsToDo: 200, tokensToDo: 10_000, skipped: 3,
            alreadyCaptured: 0, elapsed: 4)
        #expect(s.tokensPerSecond == 500 && s.recordsPerSecond == 12.5)
        #expect(s.eta == 16) // 8,000 tokens left at 500 tokens/s
        #expect(s.line == "capture: 50/200 records (25.0%), 500 tok/s, 12.5 rec/s, ETA 16s, skipped 3")
        let start = CaptureProgress.Snapshot(
            records: 0, tokens: 0, recordsToDo: 9, tokensToDo: 90, skipped: 0, alreadyCaptured: 4, elapsed: 1)
        #expect(start.eta == nil)
        #expect(start.line.hasSuffix("skipped 0, resumed past 4"))
    }

    @Test func durationsAndGrouping() {
        #expect(CaptureProgress.Snapshot.duration(42) == "42s")
        #expect(CaptureProgress.Snapshot.duration(185) == "3m05s")
        #expect(CaptureProgress.Snapshot.duration(7_620) == "2h07m")
        #expect(CaptureProgress.Snapshot.grouped(1_234_567) == "1,234,567")
        #expect(CaptureProgress.Snapshot.grouped(999) == "999")
    }
}
