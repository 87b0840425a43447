import CSMSCore
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let start = ContinuousClock.now

    @Test func opensAfterThresholdConsecutiveFailures() {
        var breaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(10))
        let allowed1 = breaker.allowsCall(at: start)
        #expect(allowed1)
        breaker.recordFailure(at: start)
        breaker.recordFailure(at: start)
        #expect(breaker.state == .closed(failures: 2))
        let allowed2 = breaker.allowsCall(at: start)
        #expect(allowed2)
        breaker.recordFailure(at: start)
        #expect(breaker.state == .open(until: start.advanced(by: .seconds(10))))
        #expect(breaker.stateName == "open")
        let allowed3 = breaker.allowsCall(at: start.advanced(by: .seconds(9)))
        #expect(!allowed3)
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
        let allowed4 = breaker.allowsCall(at: later)
        #expect(allowed4)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.stateName == "half_open")
        let allowed5 = breaker.allowsCall(at: later)
        #expect(!allowed5)  // only one trial
        breaker.recordSuccess()
        #expect(breaker.state == .closed(failures: 0))
        let allowed6 = breaker.allowsCall(at: later)
        #expect(allowed6)
    }

    @Test func failedTrialOpensAgainForAnotherCoolDown() {
        var breaker = CircuitBreaker(failureThreshold: 2, coolDown: .seconds(5))
        breaker.recordFailure(at: start)
        breaker.recordFailure(at: start)
        let trial = start.advanced(by: .seconds(6))
        let allowed7 = breaker.allowsCall(at: trial)
        #expect(allowed7)
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
        let allowed8 = breaker.allowsCall(at: start)
        #expect(!allowed8)
    }
}
