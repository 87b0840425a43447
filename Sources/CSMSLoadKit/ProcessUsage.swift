import Foundation

/// CPU time and memory of a process, read from Linux's `/proc/PID/stat` and `/proc/PID/status`.
public struct ProcessSample: Sendable, Equatable, Codable {
    /// User + system CPU time in clock ticks (`utime` + `stime`, fields 14 and 15 of `stat`).
    public var cpuTicks: UInt64
    /// Resident set size in bytes (`VmRSS`).
    public var rssBytes: UInt64
    /// Peak resident set size in bytes (`VmHWM`).
    public var peakRSSBytes: UInt64

    /// A sample.
    public init(cpuTicks: UInt64, rssBytes: UInt64, peakRSSBytes: UInt64) {
        self.cpuTicks = cpuTicks
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
    }

    /// Reads the sample of process `pid` ("self" for this process); nil when it is not there
    /// (no such process, or not Linux).
    public static func read(pid: String) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let ticks = cpuTicks(statLine: stat)
        else { return nil }
        let memory = memory(status: status)
        return ProcessSample(cpuTicks: ticks, rssBytes: memory.rss, peakRSSBytes: memory.peak)
    }

    /// `utime + stime` from a `/proc/PID/stat` line. The command name (field 2) is in
    /// parentheses and may hold spaces and parentheses itself, so fields are counted from
    /// the last `)`.
    public static func cpuTicks(statLine: String) -> UInt64? {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        // After ")": field 3 (state) is fields[0], so field n is fields[n - 3].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// `VmRSS` and `VmHWM` in bytes from a `/proc/PID/status` text (0 when absent).
    public static func memory(status: String) -> (rss: UInt64, peak: UInt64) {
        var rss: UInt64 = 0
        var peak: UInt64 = 0
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kilobytes = UInt64(parts[1]) else { continue }
            if parts[0] == "VmRSS:" { rss = kilobytes * 1024 }
            if parts[0] == "VmHWM:" { peak = kilobytes * 1024 }
        }
        return (rss, peak)
    }

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`; 100 on Linux when unknown).
    public static var ticksPerSecond: Double {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }
}

/// CPU and memory of a process over a measurement window.
public struct ProcessUsage: Sendable, Equatable, Codable {
    /// Average CPU use over the window, in percent of one core.
    public var cpuPercent: Double
    /// Resident set size at the end of the window, in MiB.
    public var rssMiB: Double
    /// Peak resident set size up to the end of the window, in MiB.
    public var peakRSSMiB: Double
    /// Resident set size before the stations connected, in MiB (when sampled).
    public var baselineRSSMiB: Double?

    /// The usage between two samples taken `seconds` apart.
    public init(from start: ProcessSample, to end: ProcessSample, seconds: Double, baseline: ProcessSample? = nil) {
        let ticks = Double(end.cpuTicks &- start.cpuTicks)
        cpuPercent = seconds > 0 ? ticks / ProcessSample.ticksPerSecond / seconds * 100 : 0
        rssMiB = Double(end.rssBytes) / 1_048_576
        peakRSSMiB = Double(end.peakRSSBytes) / 1_048_576
        baselineRSSMiB = baseline.map { Double($0.rssBytes) / 1_048_576 }
    }

    /// RSS added per connection in KiB, from the baseline to the end, for `connections`.
    public func kibPerConnection(_ connections: Int) -> Double? {
        guard let baselineRSSMiB, connections > 0 else { return nil }
        return (rssMiB - baselineRSSMiB) * 1024 / Double(connections)
    }
}
