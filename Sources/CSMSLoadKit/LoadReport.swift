public import Foundation
import Histogram

/// The result of one `csms-load` run, written as JSON (`--json PATH`) and printed as text.
public struct LoadReport: Sendable, Codable {
    /// The scenario preset.
    public var scenario: String
    /// The WebSocket base URL the stations connected to.
    public var target: String
    /// A label for the server under test (`csms`, `echo`, `python-ocpp`, ...).
    public var label: String
    /// When the run started (ISO 8601).
    public var startedAt: String
    /// The resolved parameters (stations, ramp-up, rates, ...).
    public var parameters: [String: String]
    /// Connecting and booting the fleet (the measurement itself in a boot storm).
    public var setup: SetupReport
    /// The measurement phases.
    public var phases: [PhaseReport]
    /// Open-loop runs: the lowest offered rate whose p99 exceeded the threshold.
    public var knee: KneeReport?
    /// Correctness checks after the run.
    public var checks: [CheckResult]
    /// The server's CPU and memory (with `--server-pid`).
    public var server: ProcessUsage?
    /// The load tool's own CPU and memory.
    public var client: ProcessUsage?
    /// The load tool's RSS per open station connection in KiB.
    public var clientKiBPerConnection: Double?
    /// Remarks (skipped checks, warnings).
    public var notes: [String]

    /// A report; `phases`, `checks` and `notes` start empty.
    public init(scenario: String, target: String, label: String, startedAt: Date, parameters: [String: String]) {
        self.scenario = scenario
        self.target = target
        self.label = label
        self.startedAt = ISO8601DateFormatter().string(from: startedAt)
        self.parameters = parameters
        self.setup = SetupReport()
        self.phases = []
        self.checks = []
        self.notes = []
    }

    /// Whether every check passed or was skipped and nothing failed during setup.
    public var checksPassed: Bool { !checks.contains { $0.status == .failed } }
}

/// Connecting and booting the fleet.
public struct SetupReport: Sendable, Codable, Equatable {
    /// Stations attempted.
    public var stations: Int = 0
    /// Stations whose BootNotification was Accepted.
    public var accepted: Int = 0
    /// Stations that failed to connect or boot, by reason.
    public var failures: [String: Int] = [:]
    /// Seconds from the first connect attempt until the last station was Accepted.
    public var secondsUntilAllAccepted: Double?
    /// Seconds the setup took in all.
    public var seconds: Double = 0
    /// Connect (TCP + WebSocket handshake) and boot latencies.
    public var actions: [ActionReport] = []

    /// An empty setup report.
    public init() {}
}

/// The figures of one exchange kind within a window.
public struct ActionReport: Sendable, Codable, Equatable {
    /// Action name.
    public var action: String
    /// Answered exchanges.
    public var count: Int
    /// Answered exchanges per second of the window.
    public var perSecond: Double
    /// Latency percentiles in milliseconds.
    public var p50: Double, p90: Double, p99: Double, p999: Double, max: Double
    /// Failures by kind.
    public var errors: [String: Int]

    /// The figures of `stats` over `seconds`.
    public init(action: String, stats: ActionStats, seconds: Double) {
        self.action = action
        count = stats.completed
        perSecond = seconds > 0 ? Double(stats.completed) / seconds : 0
        p50 = stats.milliseconds(atPercentile: 50)
        p90 = stats.milliseconds(atPercentile: 90)
        p99 = stats.milliseconds(atPercentile: 99)
        p999 = stats.milliseconds(atPercentile: 99.9)
        max = stats.completed > 0 ? Double(stats.histogram.max) / 1000 : 0
        errors = stats.errors
    }

    /// Reports for every action of `recorder`, sorted by name, and an `all` line first when
    /// there is more than one action.
    public static func list(_ recorder: PhaseRecorder, seconds: Double) -> [ActionReport] {
        var list = recorder.actions.keys.sorted().map {
            ActionReport(action: $0, stats: recorder.actions[$0]!, seconds: seconds)
        }
        if list.count > 1 { list.insert(ActionReport(action: "all", stats: recorder.overall, seconds: seconds), at: 0) }
        return list
    }
}

/// One measurement phase.
public struct PhaseReport: Sendable, Codable, Equatable {
    /// Phase name.
    public var name: String
    /// The offered rate of an open-loop phase (requests per second).
    public var offeredRate: Double?
    /// Recorded seconds.
    public var seconds: Double
    /// Unrecorded seconds before.
    public var warmupSeconds: Double
    /// Answered requests per second (all actions).
    public var throughput: Double
    /// Failures by kind.
    public var errors: [String: Int]
    /// Counters (sessions completed, commands answered by stations, ...).
    public var counters: [String: Int]
    /// Per action.
    public var actions: [ActionReport]
    /// The server's CPU and memory in this phase.
    public var server: ProcessUsage?
    /// The load tool's own CPU and memory in this phase (near 100%: the tool is the limit).
    public var client: ProcessUsage?
    /// How steady the answers were, per 100 ms of the window (`ThroughputTimeline`).
    public var steadiness: Steadiness?

    /// The report of `phase` from its recorder.
    public init(phase: Phase, recorder: PhaseRecorder, seconds: Double, server: ProcessUsage?) {
        name = phase.name
        offeredRate = phase.offeredRate
        self.seconds = seconds
        warmupSeconds = phase.warmupSeconds
        throughput = seconds > 0 ? Double(recorder.completed) / seconds : 0
        errors = recorder.errorsByKind
        counters = recorder.counters
        actions = ActionReport.list(recorder, seconds: seconds)
        self.server = server
        steadiness = recorder.timeline?.steadiness(seconds: seconds)
    }

    /// The `all` line (or the only action).
    public var overall: ActionReport? { actions.first }
}

/// Where an open-loop run stops keeping up.
public struct KneeReport: Sendable, Codable, Equatable {
    /// The p99 threshold in milliseconds.
    public var thresholdMs: Double
    /// The lowest offered rate whose p99 exceeded the threshold (nil: none did).
    public var kneeRate: Double?
    /// The highest offered rate whose p99 stayed within it.
    public var lastGoodRate: Double?
    /// Its achieved throughput.
    public var lastGoodThroughput: Double?

    /// The knee of `phases` (open-loop ones only) at `thresholdMs`.
    public static func find(_ phases: [PhaseReport], thresholdMs: Double = 100) -> KneeReport? {
        let openLoop = phases.filter { $0.offeredRate != nil }.sorted { $0.offeredRate! < $1.offeredRate! }
        guard !openLoop.isEmpty else { return nil }
        var report = KneeReport(thresholdMs: thresholdMs)
        for phase in openLoop {
            let p99 = phase.overall?.p99 ?? .infinity
            let failed = phase.errors.values.reduce(0, +) > 0
            if p99 > thresholdMs || failed {
                report.kneeRate = phase.offeredRate
                break
            }
            report.lastGoodRate = phase.offeredRate
            report.lastGoodThroughput = phase.throughput
        }
        return report
    }

    /// A knee report with nothing found yet.
    public init(thresholdMs: Double, kneeRate: Double? = nil, lastGoodRate: Double? = nil) {
        self.thresholdMs = thresholdMs
        self.kneeRate = kneeRate
        self.lastGoodRate = lastGoodRate
    }
}

/// A correctness check after a run.
public struct CheckResult: Sendable, Codable, Equatable {
    /// Outcome.
    public enum Status: String, Sendable, Codable {
        /// Checked and right.
        case passed
        /// Checked and wrong.
        case failed
        /// Could not be checked (e.g. the API endpoint does not exist yet); the detail says why.
        case skipped
    }

    /// Check name.
    public var name: String
    /// Outcome.
    public var status: Status
    /// What was compared, or why it was skipped.
    public var detail: String

    /// A check result.
    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}
