/// When to try a failed operation again: exponential backoff with full jitter, bounded by a
/// number of attempts and a total time budget (docs/reliability.md). Pure: the caller passes
/// the random draw, so the schedule is tested without waiting.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (1 = no retry).
    public var maxAttempts: Int
    /// The delay cap before the first retry; it doubles for each later retry.
    public var baseDelay: Duration
    /// The largest delay cap.
    public var maxDelay: Duration
    /// The most time all attempts together may take (keep it below the stations' call
    /// timeout so that a station still gets an answer).
    public var maxTotal: Duration

    /// A policy; defaults: 4 attempts, 50 ms base, 1 s cap, 5 s in all.
    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(1),
        maxTotal: Duration = .seconds(5)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before attempt `attempt + 1` after `attempt` failures (attempt ≥ 1) that took
    /// `elapsed` so far, or `nil` when no attempt is left. `random` is a draw from `0..<1`
    /// (full jitter: the delay is uniform between zero and the exponential cap).
    public func delay(afterAttempt attempt: Int, elapsed: Duration, random: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let exponent = min(attempt - 1, 30)
        let cap = min(maxDelay, baseDelay * (1 << exponent))
        let delay = cap * min(max(random, 0), 1)
        guard elapsed + delay < maxTotal else { return nil }
        return delay
    }
}
