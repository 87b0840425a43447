/// A circuit breaker for calls to an external service, as a pure state machine (no clock, no
/// locks): the caller passes the current instant and keeps the value under its own lock.
///
/// - `closed`: calls go through; `failureThreshold` consecutive failures open it.
/// - `open`: calls are refused until `coolDown` has passed since it opened; then the next
///   call is let through as a trial and the breaker is `halfOpen`.
/// - `halfOpen`: one trial call is in flight, others are refused; its success closes the
///   breaker, its failure opens it again for another cool-down.
///
/// Used by the external authorizer; usable by any other external call.
public struct CircuitBreaker: Sendable, Equatable {
    /// The breaker's state.
    public enum State: Sendable, Equatable {
        /// Calls go through; `failures` consecutive failures so far.
        case closed(failures: Int)
        /// Calls are refused until `until`.
        case open(until: ContinuousClock.Instant)
        /// One trial call is in flight.
        case halfOpen

        /// The name of `state`: `closed`, `open` or `half_open`.
        public static func name(_ state: State) -> String {
            switch state {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    /// Consecutive failures that open the breaker (at least 1).
    public let failureThreshold: Int
    /// How long the breaker stays open before a trial call.
    public let coolDown: Duration
    /// The current state.
    public private(set) var state: State = .closed(failures: 0)

    /// A closed breaker.
    public init(failureThreshold: Int, coolDown: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
    }

    /// The state's name for metrics and health details: `closed`, `open` or `half_open`.
    public var stateName: String { State.name(state) }

    /// Whether a call may start at `now`. An open breaker whose cool-down has passed lets
    /// this call through as the trial (and becomes half-open); the caller must report the
    /// call's outcome with `recordSuccess()` or `recordFailure(at:)`.
    public mutating func allowsCall(at now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until) where now >= until:
            state = .halfOpen
            return true
        case .open, .halfOpen:
            return false
        }
    }

    /// A call succeeded: the breaker closes (and forgets earlier failures).
    public mutating func recordSuccess() {
        state = .closed(failures: 0)
    }

    /// A call failed at `now`: one more consecutive failure when closed (opening at the
    /// threshold); a failed trial opens the breaker again.
    public mutating func recordFailure(at now: ContinuousClock.Instant) {
        switch state {
        case .closed(let failures) where failures + 1 >= failureThreshold:
            state = .open(until: now.advanced(by: coolDown))
        case .halfOpen:
            state = .open(until: now.advanced(by: coolDown))
        case .closed(let failures):
            state = .closed(failures: failures + 1)
        case .open:
            break  // a call admitted before the breaker opened: it is open already
        }
    }
}
