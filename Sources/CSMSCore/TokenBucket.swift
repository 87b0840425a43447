/// A token bucket (rate limiting): holds at most `burst` tokens, refills at `rate` tokens per
/// second, and every admitted event takes one token. Pure: the caller passes the time (in
/// seconds on a monotonic clock), so the rules are tested without waiting.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    public let rate: Double
    /// The most tokens the bucket holds (the largest burst admitted at once).
    public let burst: Double
    /// Tokens now (as of `updatedAt`).
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    public private(set) var updatedAt: Double

    /// A full bucket at time `now`. `rate` and `burst` must be positive.
    public init(rate: Double, burst: Int, now: Double) {
        precondition(rate > 0 && burst > 0, "a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        updatedAt = now
    }

    /// Takes one token if there is one at `now`; returns whether it did. A time earlier than
    /// the last one (a clock that went back) adds nothing.
    public mutating func take(now: Double) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full at `now` (its owner may be forgotten without loss).
    public mutating func isFull(now: Double) -> Bool {
        refill(now: now)
        return tokens >= burst
    }

    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + (now - updatedAt) * rate)
        updatedAt = now
    }
}
