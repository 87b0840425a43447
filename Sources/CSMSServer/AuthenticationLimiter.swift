import Synchronization

/// A token bucket: holds at most `capacity` tokens and gains `refillPerSecond` tokens per
/// second. Pure value type; the caller passes the time (seconds on a monotonic clock).
struct TokenBucket: Sendable, Equatable {
    /// The most tokens the bucket holds (the burst allowed after a quiet period).
    let capacity: Double
    /// Tokens gained per second.
    let refillPerSecond: Double
    /// Tokens held at `updatedAt`.
    private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    private(set) var updatedAt: Double

    /// A full bucket at `now`.
    init(capacity: Double, refillPerSecond: Double, now: Double) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Adds the tokens earned since `updatedAt` (never beyond `capacity`; a clock that went
    /// back adds nothing).
    mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(capacity, tokens + (now - updatedAt) * refillPerSecond)
        updatedAt = now
    }

    /// Whether at least one whole token is there at `now`.
    func hasToken(now: Double) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1
    }

    /// Whether the bucket is full at `now` (it then carries no information and can be dropped).
    func isFull(now: Double) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= capacity
    }

    /// Takes one token if there is one; returns whether it did.
    @discardableResult
    mutating func take(now: Double) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until one whole token is there (0 when there is one now).
    func secondsUntilToken(now: Double) -> Double {
        var copy = self
        copy.refill(now: now)
        guard copy.tokens < 1 else { return 0 }
        return refillPerSecond > 0 ? (1 - copy.tokens) / refillPerSecond : .infinity
    }
}

/// Limits failed authentication attempts per client address and per charge point id
/// (issue #8): every failed attempt takes a token from both buckets; while either bucket is
/// empty, every attempt from that address or for that id is refused (429) before the
/// password is checked, so that guessing and PBKDF2 load are both bounded.
///
/// Memory is bounded: at most `maxEntries` buckets per kind; full buckets are dropped first,
/// then, if still too many, the oldest half (an attacker rotating addresses can at worst
/// reset other addresses' buckets, never exceed the id buckets' limit on one id).
final class AuthenticationLimiter: Sendable {
    /// Attempts allowed in a burst.
    let burst: Int
    /// Seconds for one failed attempt to be forgiven.
    let refillSeconds: Double
    /// The most buckets kept per kind.
    let maxEntries: Int

    private struct State {
        var byAddress: [String: TokenBucket] = [:]
        var byId: [String: TokenBucket] = [:]
    }
    private let state = Mutex(State())

    /// A limiter allowing `burst` failures, then one per `refillSeconds`.
    init(burst: Int, refillSeconds: Double, maxEntries: Int = 10_000) {
        self.burst = max(1, burst)
        self.refillSeconds = max(0.001, refillSeconds)
        self.maxEntries = max(2, maxEntries)
    }

    /// `nil` when an attempt from `address` for `id` may be checked now; otherwise the
    /// seconds to wait (whole, at least 1).
    func retryAfter(address: String?, id: String, now: Double) -> Int? {
        state.withLock { state in
            var wait = 0.0
            if let address, let bucket = state.byAddress[address] {
                wait = max(wait, bucket.secondsUntilToken(now: now))
            }
            if let bucket = state.byId[id] { wait = max(wait, bucket.secondsUntilToken(now: now)) }
            guard wait > 0 else { return nil }
            return wait.isFinite ? max(1, Int(wait.rounded(.up))) : 3600
        }
    }

    /// Counts one failed attempt from `address` for `id`.
    func recordFailure(address: String?, id: String, now: Double) {
        state.withLock { state in
            if let address { Self.take(&state.byAddress, address, now: now, limiter: self) }
            Self.take(&state.byId, id, now: now, limiter: self)
        }
    }

    /// How many buckets are kept (for tests).
    var entryCount: Int { state.withLock { $0.byAddress.count + $0.byId.count } }

    private static func take(
        _ buckets: inout [String: TokenBucket], _ key: String, now: Double, limiter: AuthenticationLimiter
    ) {
        if buckets[key] == nil {
            if buckets.count >= limiter.maxEntries {
                buckets = buckets.filter { !$0.value.isFull(now: now) }
            }
            if buckets.count >= limiter.maxEntries {
                let oldest = buckets.sorted { $0.value.updatedAt < $1.value.updatedAt }.prefix(buckets.count / 2)
                for (key, _) in oldest { buckets[key] = nil }
            }
            buckets[key] = TokenBucket(
                capacity: Double(limiter.burst), refillPerSecond: 1 / limiter.refillSeconds, now: now)
        }
        buckets[key]?.take(now: now)
    }
}
