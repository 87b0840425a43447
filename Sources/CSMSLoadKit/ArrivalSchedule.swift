/// Open-loop arrivals at a fixed rate: the k-th request (k = 0, 1, ...) is due at
/// `start + k / rate`, whatever happened to the earlier ones. Latency is measured from that
/// due time, so a server (or a station) that falls behind shows its queueing delay instead of
/// hiding it by slowing the sender down (coordinated omission).
public struct ArrivalSchedule: Sendable, Equatable {
    /// When arrival 0 is due, in monotonic nanoseconds.
    public let start: UInt64
    /// Arrivals per second (> 0).
    public let ratePerSecond: Double
    /// How many arrivals were handed out so far.
    public private(set) var issued: Int = 0

    /// A schedule of `ratePerSecond` arrivals per second starting at `start` (nanoseconds).
    public init(start: UInt64, ratePerSecond: Double) {
        precondition(ratePerSecond > 0, "the arrival rate must be positive")
        self.start = start
        self.ratePerSecond = ratePerSecond
    }

    /// The due time of arrival `k`, in nanoseconds.
    public func dueTime(of k: Int) -> UInt64 {
        start + UInt64((Double(k) * 1_000_000_000 / ratePerSecond).rounded())
    }

    /// Hands out every arrival due at or before `now` (and before `end`, when given) that was
    /// not handed out yet: their due times, in order.
    public mutating func take(dueBy now: UInt64, before end: UInt64? = nil) -> [UInt64] {
        var due: [UInt64] = []
        while true {
            let time = dueTime(of: issued)
            guard time <= now else { break }
            if let end, time >= end { break }
            due.append(time)
            issued += 1
        }
        return due
    }
}

/// When each station of a fleet starts connecting: spread evenly over a ramp-up, or all at
/// once, plus an optional random jitter (seeded, so a run can be repeated exactly).
public struct RampSchedule: Sendable, Equatable {
    /// Number of stations.
    public let stations: Int
    /// Seconds over which the starts are spread evenly (0: all at once).
    public let rampUpSeconds: Double
    /// Each start is delayed by a uniform random amount in [0, jitterSeconds).
    public let jitterSeconds: Double
    /// Seed of the jitter.
    public let seed: UInt64

    /// A schedule for `stations` stations.
    public init(stations: Int, rampUpSeconds: Double, jitterSeconds: Double = 0, seed: UInt64 = 1) {
        self.stations = stations
        self.rampUpSeconds = max(0, rampUpSeconds)
        self.jitterSeconds = max(0, jitterSeconds)
        self.seed = seed
    }

    /// The start offsets in nanoseconds from the beginning of the ramp, station by station.
    public func offsets() -> [UInt64] {
        var random = SplitMix64(seed: seed)
        return (0..<stations).map { index in
            let even = stations > 1 ? rampUpSeconds * Double(index) / Double(stations) : 0
            let jitter = jitterSeconds > 0 ? random.nextUnit() * jitterSeconds : 0
            return UInt64(((even + jitter) * 1_000_000_000).rounded())
        }
    }
}

/// SplitMix64: a small, fast, seedable generator (Steele, Lea, Flood 2014), so that jitter
/// and workload choices repeat from run to run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }
}
