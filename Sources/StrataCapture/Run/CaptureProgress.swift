import Foundation

/// Counters of a running capture, safe to update from the compute and writer threads, and a timer
/// that hands a snapshot to a reporter about once per interval.
public final class CaptureProgress: @unchecked Sendable {
    /// A consistent view of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Records written by this run, and their tokens.
        public var records: Int
        public var tokens: Int
        /// Records this run has to write (excluding those a resumed run found already captured).
        public var recordsToDo: Int
        public var tokensToDo: Int
        /// Rows left out (all reasons).
        public var skipped: Int
        /// Records found already captured (resume).
        public var alreadyCaptured: Int
        public var elapsed: Double

        public var recordsPerSecond: Double { elapsed > 0 ? Double(records) / elapsed : 0 }
        public var tokensPerSecond: Double { elapsed > 0 ? Double(tokens) / elapsed : 0 }
        /// Seconds left at the current token rate (token counts are known in advance), nil before any.
        public var eta: Double? {
            guard tokens > 0, elapsed > 0 else { return nil }
            return Double(max(0, tokensToDo - tokens)) / tokensPerSecond
        }

        /// `capture: 120/200 records (60.0%), 31,234 tok/s, 12.1 rec/s, ETA 7s, skipped 3`.
        public var line: String {
            let percent = recordsToDo > 0 ? 100 * Double(records) / Double(recordsToDo) : 100
            var parts = [
                "capture: \(records)/\(recordsToDo) records (\(String(format: "%.1f", percent))%)",
                "\(Self.grouped(Int(tokensPerSecond.rounded()))) tok/s",
                "\(String(format: "%.1f", recordsPerSecond)) rec/s"
            ]
            if let eta { parts.append("ETA \(Self.duration(eta))") }
            parts.append("skipped \(skipped)")
            if alreadyCaptured > 0 { parts.append("resumed past \(alreadyCaptured)") }
            return parts.joined(separator: ", ")
        }

        static func grouped(_ n: Int) -> String {
            let digits = String(n)
            var out = ""
            for (i, c) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return String(out.reversed())
        }

        /// `42s`, `3m05s`, `2h07m`.
        static func duration(_ seconds: Double) -> String {
            let s = Int(seconds.rounded())
            if s < 60 { return "\(s)s" }
            if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
            return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
        }
    }

    private let lock = NSLock()
    private var snapshotValue: Snapshot
    private let start = Date()
    private var timer: DispatchSourceTimer?

    init(recordsToDo: Int, tokensToDo: Int, skipped: Int, alreadyCaptured: Int) {
        snapshotValue = Snapshot(
            records: 0, tokens: 0, recordsToDo: recordsToDo, tokensToDo: tokensToDo, skipped: skipped,
            alreadyCaptured: alreadyCaptured, elapsed: 0)
    }

    func add(records: Int, tokens: Int) {
        lock.lock()
        snapshotValue.records += records
        snapshotValue.tokens += tokens
        lock.unlock()
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        var s = snapshotValue
        s.elapsed = Date().timeIntervalSince(start)
        return s
    }

    /// Calls `report` every `interval` seconds on a background queue until `stop()`.
    func startReporting(every interval: Double, _ report: @escaping @Sendable (Snapshot) -> Void) {
        guard interval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "strata-capture-progress"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            report(self.snapshot)
        }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }
}
