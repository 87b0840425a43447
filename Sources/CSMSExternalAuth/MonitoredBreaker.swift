import CSMSCore
public import CoreMetrics
public import Logging
import Synchronization

/// The circuit breaker around one external dependency, shared by every external call (the
/// authorization webhook, the external CA; docs/reliability.md, "Circuit breakers"): the pure
/// `CircuitBreaker` behind a lock, its state as a gauge (0 closed, 1 half-open, 2 open), and a
/// log line on every transition (`notice` when it closes, `warning` otherwise).
public final class MonitoredBreaker: Sendable {
    /// What the breaker guards, for its log lines (e.g. `external authorization`).
    public let name: String
    private let breaker: Mutex<CircuitBreaker>
    private let gauge: Gauge
    private let logger: Logger

    /// A closed breaker reporting to the gauge `gaugeLabel`.
    public init(
        name: String, failureThreshold: Int, coolDown: Duration, gaugeLabel: String, logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        breaker = Mutex(CircuitBreaker(failureThreshold: failureThreshold, coolDown: coolDown))
        gauge = Gauge(label: gaugeLabel, factory: metricsFactory)
        self.logger = logger
        gauge.record(0)
    }

    /// The state's name (`closed`, `open`, `half_open`), for `/health/ready` details.
    public var stateName: String { breaker.withLock { $0.stateName } }

    /// Whether a call may start at `now` (see `CircuitBreaker.allowsCall(at:)`).
    public func allowsCall(at now: ContinuousClock.Instant) -> Bool { update { $0.allowsCall(at: now) } }

    /// Reports the outcome of a call that `allowsCall` let through.
    public func record(success: Bool, at now: ContinuousClock.Instant) {
        update { breaker in
            if success { breaker.recordSuccess() } else { breaker.recordFailure(at: now) }
        }
    }

    private func update<T>(_ body: (inout CircuitBreaker) -> T) -> T {
        let (result, before, state) = breaker.withLock { breaker in
            let before = breaker.stateName
            let result = body(&breaker)
            return (result, before, breaker.state)
        }
        let after = CircuitBreaker.State.name(state)
        if after != before {
            logger.log(
                level: after == "closed" ? .notice : .warning, "\(name) circuit breaker \(after)",
                metadata: ["breaker.previous": .string(before)])
        }
        switch state {
        case .closed: gauge.record(0)
        case .halfOpen: gauge.record(1)
        case .open: gauge.record(2)
        }
        return result
    }
}
