import Foundation

/// Resource use of this process: resident memory from `/proc/self/status` (Linux; nil
/// elsewhere) and CPU time. Used by `strata stream` to report peak RSS next to the prefetch
/// budget, and CPU cost per record (robust on a loaded machine, unlike wall time).
public enum ProcessResources {
    /// CPU time (user + system, all threads) consumed so far, in seconds.
    public static var cpuSeconds: Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Peak resident set size (VmHWM) in bytes.
    public static var peakResidentBytes: Int? { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    public static var residentBytes: Int? { field("VmRSS:") }

    private static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kilobytes = Int(parts[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }
}
