/// Answers per 100 ms of a measurement window: how steady the throughput was.
///
/// In a closed loop the mean round trip is fixed by the rate (stations / answers per second),
/// so a p99 far above the p50 comes from the moments when the rate dropped: the server paused
/// (a flush, a checkpoint, a slow disk sync) and every station waiting then got a long round
/// trip. The report shows those moments as the slowest 100 ms slices of the window.
public struct ThroughputTimeline: Sendable, Equatable {
    /// The length of a slice.
    public static let sliceNanoseconds: UInt64 = 100_000_000

    /// The window's start (monotonic nanoseconds); answers before it are not counted.
    public let start: UInt64
    /// Answers per slice since `start` (slice `i` covers `start + i * 100 ms` onwards).
    public private(set) var counts: [Int] = []

    /// An empty timeline for a window that starts at `start`.
    public init(start: UInt64) {
        self.start = start
    }

    /// Counts an answer received at `nanoseconds` (monotonic).
    public mutating func record(answeredAt nanoseconds: UInt64) {
        guard nanoseconds >= start else { return }
        let slice = Int((nanoseconds - start) / Self.sliceNanoseconds)
        if slice >= counts.count { counts.append(contentsOf: repeatElement(0, count: slice - counts.count + 1)) }
        counts[slice] += 1
    }

    /// Adds `other` (another event loop's timeline of the same window) into this one.
    public mutating func merge(_ other: ThroughputTimeline) {
        precondition(other.start == start, "timelines of different windows")
        if other.counts.count > counts.count {
            counts.append(contentsOf: repeatElement(0, count: other.counts.count - counts.count))
        }
        for (slice, count) in other.counts.enumerated() { counts[slice] += count }
    }

    /// The steadiness of the first `seconds` of the window (whole slices only; answers after
    /// the window, while its last requests drain, are left out), or `nil` below one second or
    /// without answers.
    public func steadiness(seconds: Double) -> Steadiness? {
        let slices = Int(seconds * 1e9 / Double(Self.sliceNanoseconds))
        guard slices >= 10 else { return nil }
        let window = (0..<slices).map { $0 < counts.count ? counts[$0] : 0 }
        let total = window.reduce(0, +)
        guard total > 0 else { return nil }
        let perSecond = window.map { Double($0) * 1e9 / Double(Self.sliceNanoseconds) }.sorted()
        let mean = perSecond.reduce(0, +) / Double(perSecond.count)
        let variance = perSecond.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perSecond.count)
        return Steadiness(
            slices: slices, minPerSecond: perSecond[0], p10PerSecond: perSecond[slices / 10],
            medianPerSecond: perSecond[slices / 2], variation: variance.squareRoot() / mean)
    }
}

/// How steady a phase's throughput was, from its answers per 100 ms slice (as rates per
/// second). Made by `ThroughputTimeline.steadiness(seconds:)`, read from reports.
public struct Steadiness: Sendable, Codable, Equatable {
    /// The 100 ms slices of the window.
    public var slices: Int
    /// The slowest slice.
    public var minPerSecond: Double
    /// The slice 10 % of the others were slower than.
    public var p10PerSecond: Double
    /// The median slice.
    public var medianPerSecond: Double
    /// The slices' standard deviation over their mean (coefficient of variation).
    public var variation: Double
}
