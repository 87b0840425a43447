public import Histogram

/// Latencies and outcomes of one kind of exchange (an OCPP action, an API call, a connect),
/// in microseconds, with HdrHistogram's 3 significant digits from 1 µs to 10 minutes.
public struct ActionStats: Sendable {
    /// Round-trip times in microseconds.
    public var histogram: Histogram<UInt64>
    /// Failed exchanges by kind (`timeout`, `CALLERROR:InternalError`, `disconnected`, ...).
    public var errors: [String: Int]

    /// The largest latency kept exactly; larger ones are clamped to it (and still counted).
    public static let highestTrackableMicroseconds: UInt64 = 600_000_000

    /// Empty statistics.
    public init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableMicroseconds,
            numberOfSignificantValueDigits: .three)
        errors = [:]
    }

    /// Exchanges that got an answer in time.
    public var completed: Int { Int(histogram.totalCount) }

    /// Failed exchanges.
    public var failed: Int { errors.values.reduce(0, +) }

    /// Records one answered exchange that took `nanoseconds`.
    public mutating func record(nanoseconds: UInt64) {
        let micros = Swift.max(1, Swift.min(nanoseconds / 1000, Self.highestTrackableMicroseconds))
        histogram.record(micros)
    }

    /// The latency in milliseconds at `percentile` (0–100); 0 when nothing was recorded.
    public func milliseconds(atPercentile percentile: Double) -> Double {
        guard histogram.totalCount > 0 else { return 0 }
        return Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// Adds `other` into these statistics.
    public mutating func merge(_ other: ActionStats) {
        histogram.add(other.histogram)
        errors.merge(other.errors, uniquingKeysWith: +)
    }
}

/// What one measurement window saw: statistics per action, plus counters.
///
/// Recording is done by one event loop at a time (one recorder per loop and window); the
/// coordinator merges the loops' recorders at the end of the window.
public struct PhaseRecorder: Sendable {
    /// Statistics per action (an OCPP action name such as `MeterValues`, or `API ...`).
    public private(set) var actions: [String: ActionStats] = [:]
    /// Free counters (sessions completed, commands received, late answers, ...).
    public private(set) var counters: [String: Int] = [:]
    /// Answers per 100 ms of the measurement window (`nil`: not a measured phase).
    public private(set) var timeline: ThroughputTimeline?

    /// An empty recorder; with `timelineStart`, it also counts answers per 100 ms from then.
    public init(timelineStart: UInt64? = nil) {
        timeline = timelineStart.map(ThroughputTimeline.init(start:))
    }

    /// Counts an answer received at `nanoseconds` in the timeline (whenever its request was
    /// sent: the timeline is the throughput the stations saw).
    public mutating func recordAnswered(at nanoseconds: UInt64) {
        timeline?.record(answeredAt: nanoseconds)
    }

    /// Records an answered exchange of `action` that took `nanoseconds`.
    public mutating func record(_ action: String, nanoseconds: UInt64) {
        actions[action, default: ActionStats()].record(nanoseconds: nanoseconds)
    }

    /// Records a failed exchange of `action`.
    public mutating func recordError(_ action: String, kind: String) {
        actions[action, default: ActionStats()].errors[kind, default: 0] += 1
    }

    /// Adds `amount` to the counter `name`.
    public mutating func count(_ name: String, _ amount: Int = 1) {
        counters[name, default: 0] += amount
    }

    /// Answered exchanges over all actions.
    public var completed: Int { actions.values.reduce(0) { $0 + $1.completed } }

    /// Failed exchanges over all actions.
    public var failed: Int { actions.values.reduce(0) { $0 + $1.failed } }

    /// Failures by kind over all actions.
    public var errorsByKind: [String: Int] {
        actions.values.reduce(into: [:]) { result, stats in result.merge(stats.errors, uniquingKeysWith: +) }
    }

    /// All actions' latencies in one histogram.
    public var overall: ActionStats {
        actions.values.reduce(into: ActionStats()) { $0.merge($1) }
    }

    /// Adds `stats` into the statistics of `action`.
    public mutating func merge(_ action: String, _ stats: ActionStats) {
        actions[action, default: ActionStats()].merge(stats)
    }

    /// A copy with only the actions whose name passes `keep` (counters are kept).
    public func filtered(_ keep: (String) -> Bool) -> PhaseRecorder {
        var copy = PhaseRecorder()
        copy.counters = counters
        for (name, stats) in actions where keep(name) { copy.merge(name, stats) }
        return copy
    }

    /// Adds `other` (another loop's recorder of the same window) into this one.
    public mutating func merge(_ other: PhaseRecorder) {
        for (name, stats) in other.actions {
            actions[name, default: ActionStats()].merge(stats)
        }
        counters.merge(other.counters, uniquingKeysWith: +)
        if let theirs = other.timeline {
            if timeline == nil { timeline = theirs } else { timeline?.merge(theirs) }
        }
    }
}
