import CSMSCore
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let start = ContinuousClock.now

    @Test func opensAfterThresholdConsecutiveFailures() {
        var breaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(10))
        #expect(breaker.allowsCall(at: start))
        breaker.recordFailure(at: start)
        breaker.recordFailure(at: start)
        #expect(breaker.state == .closed(failures: 2))
        #expect(breaker.allowsCall(at: start))
        breaker.recordFailure(at: start)
        #expect(breaker.state == .open(until: start.advanced(by: .seconds(10))))
        #expect(breaker.stateName == "open")
        #expect(!breaker.allowsCall(at: start.advanced(by: .seconds(9))))
    }

    @Test func successResetsTheFailureCount() {
        var breaker = CircuitBreaker(failureThreshold: 2, coolDown: .seconds(1))
        breaker.recordFailure(at: start)
        breaker.recordSuccess()
        breaker.recordFailure(at: start)
        #expect(breaker.state == .closed(failures: 1))
        #expect(breaker.stateName == "closed")
    }

    @Test func halfOpenLetsOneTrialThroughAndClosesOnSuccess() {
        var breaker = CircuitBreaker(failureThreshold: 1, coolDown: .seconds(5))
        breaker.recordFailure(at: start)
        let later = start.advanced(by: .seconds(5))
        #expect(breaker.allowsCall(at: later))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.stateName == "half_open")
        #expect(!breaker.allowsCall(at: later))  // only one trial
        breaker.recordSuccess()
        #expect(breaker.state == .closed(failures: 0))
        #expect(breaker.allowsCall(at: later))
    }

    @Test func failedTrialOpensAgainForAnotherCoolDown() {
        var breaker = CircuitBreaker(failureThreshold: 2, coolDown: .seconds(5))
        breaker.recordFailure(at: start)
        breaker.recordFailure(at: start)
        let trial = start.advanced(by: .seconds(6))
        #expect(breaker.allowsCall(at: trial))
        breaker.recordFailure(at: trial)
        #expect(breaker.state == .open(until: trial.advanced(by: .seconds(5))))
        // A late failure of a call admitted earlier changes nothing while open.
        breaker.recordFailure(at: trial.advanced(by: .seconds(1)))
        #expect(breaker.state == .open(until: trial.advanced(by: .seconds(5))))
    }

    @Test func thresholdIsAtLeastOne() {
        var breaker = CircuitBreaker(failureThreshold: 0, coolDown: .seconds(1))
        #expect(breaker.failureThreshold == 1)
        breaker.recordFailure(at: start)
        #expect(!breaker.allowsCall(at: start))
    }
}
