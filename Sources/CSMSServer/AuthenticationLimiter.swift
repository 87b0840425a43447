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

    /// A bucket at `now` holding `tokens` (default: full).
    init(capacity: Double, refillPerSecond: Double, now: Double, tokens: Double? = nil) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = min(capacity, tokens ?? capacity)
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
///
/// `update(burst:refillSeconds:)` changes the limits while running (configuration reload): a
/// bucket made with other limits is rebuilt at its next failure; the failures it had counted
/// still count against the new burst.
final class AuthenticationLimiter: Sendable {
    /// Attempts allowed in a burst.
    var burst: Int { state.withLock { $0.burst } }
    /// Seconds for one failed attempt to be forgiven.
    var refillSeconds: Double { state.withLock { $0.refillSeconds } }
    /// The most buckets kept per kind.
    let maxEntries: Int

    private struct State {
        var burst: Int
        var refillSeconds: Double
        var byAddress: [String: TokenBucket] = [:]
        var byId: [String: TokenBucket] = [:]
    }
    private let state: Mutex<State>

    /// A limiter allowing `burst` failures, then one per `refillSeconds`.
    init(burst: Int, refillSeconds: Double, maxEntries: Int = 10_000) {
        state = Mutex(State(burst: max(1, burst), refillSeconds: max(0.001, refillSeconds)))
        self.maxEntries = max(2, maxEntries)
    }

    /// Sets new limits for the failures counted from now on.
    func update(burst: Int, refillSeconds: Double) {
        state.withLock { state in
            state.burst = max(1, burst)
            state.refillSeconds = max(0.001, refillSeconds)
        }
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
            let capacity = Double(state.burst)
            let refill = 1 / state.refillSeconds
            if let address {
                Self.take(&state.byAddress, address, now: now, capacity: capacity, refill: refill, limit: maxEntries)
            }
            Self.take(&state.byId, id, now: now, capacity: capacity, refill: refill, limit: maxEntries)
        }
    }

    /// How many buckets are kept (for tests).
    var entryCount: Int { state.withLock { $0.byAddress.count + $0.byId.count } }

    private static func take(
        _ buckets: inout [String: TokenBucket], _ key: String, now: Double, capacity: Double, refill: Double,
        limit: Int
    ) {
        if var old = buckets[key], old.capacity != capacity || old.refillPerSecond != refill {
            old.refill(now: now)
            let tokens = max(0, old.tokens + capacity - old.capacity)  // the failures counted still count
            buckets[key] = TokenBucket(capacity: capacity, refillPerSecond: refill, now: now, tokens: tokens)
        }
        if buckets[key] == nil {
            if buckets.count >= limit {
                buckets = buckets.filter { !$0.value.isFull(now: now) }
            }
            if buckets.count >= limit {
                let oldest = buckets.sorted { $0.value.updatedAt < $1.value.updatedAt }.prefix(buckets.count / 2)
                for (key, _) in oldest { buckets[key] = nil }
            }
            buckets[key] = TokenBucket(capacity: capacity, refillPerSecond: refill, now: now)
        }
        buckets[key]?.take(now: now)
    }
}
