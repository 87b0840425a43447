import Logging

extension CommandEngine {
    /// Outbound CALLs sent and not answered yet, over all stations.
    public var callsInFlight: Int {
        state.withLock { s in s.stations.values.reduce(0) { $0 + ($1.deadline == nil ? 0 : 1) } }
    }

    /// Waits until no outbound CALL is in flight, or until `deadline` (graceful shutdown: the
    /// stations answer what they were asked before their connections close with 1001).
    func awaitCallsAnswered(until deadline: ContinuousClock.Instant, logger: Logger) async {
        let waiting = callsInFlight
        guard waiting > 0 else { return }
        logger.info("shutting down: waiting for answers to CALLs in flight", metadata: ["calls": "\(waiting)"])
        while callsInFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if callsInFlight > 0 {
            logger.warning(
                "shutdown grace period over; CALLs still unanswered", metadata: ["calls": "\(callsInFlight)"])
        }
    }
}
