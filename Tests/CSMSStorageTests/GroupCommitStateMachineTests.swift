import CSMSStorageSQLite
import Testing

/// The group-commit decisions, without a database.
@Suite struct GroupCommitStateMachineTests {
    private func batch(_ action: GroupCommitStateMachine<Int>.SubmitAction) -> [Int]? {
        if case .startBatch(let batch) = action { batch } else { nil }
    }

    private func batch(_ action: GroupCommitStateMachine<Int>.FinishAction) -> [Int]? {
        if case .startBatch(let batch) = action { batch } else { nil }
    }

    @Test func idleWriterStartsAtOnceAndQueuesTheRest() {
        var machine = GroupCommitStateMachine<Int>(maxBatchSize: 100)
        #expect(batch(machine.submit(1)) == [1])
        for n in 2...5 {
            guard case .queued = machine.submit(n) else {
                Issue.record("request \(n) should queue")
                return
            }
        }
        #expect(batch(machine.batchFinished()) == [2, 3, 4, 5])
        #expect(batch(machine.submit(6)) == nil)
        #expect(batch(machine.batchFinished()) == [6])
        guard case .idle = machine.batchFinished() else {
            Issue.record("writer should be idle")
            return
        }
        #expect(batch(machine.submit(7)) == [7])
    }

    @Test func batchesAreCappedAtMaxBatchSize() {
        var machine = GroupCommitStateMachine<Int>(maxBatchSize: 3)
        _ = machine.submit(0)
        for n in 1...7 { _ = machine.submit(n) }
        #expect(batch(machine.batchFinished()) == [1, 2, 3])
        #expect(batch(machine.batchFinished()) == [4, 5, 6])
        #expect(batch(machine.batchFinished()) == [7])
    }

    @Test func closeDrainsQueuedRequestsAndRejectsNewOnes() {
        var machine = GroupCommitStateMachine<Int>(maxBatchSize: 10)
        _ = machine.submit(1)
        _ = machine.submit(2)
        guard case .waitForDrain = machine.close() else {
            Issue.record("close should wait for the running transaction")
            return
        }
        #expect(machine.isClosed)
        guard case .rejected(3) = machine.submit(3) else {
            Issue.record("a request after close should be rejected")
            return
        }
        #expect(batch(machine.batchFinished()) == [2])
        guard case .closed = machine.batchFinished() else {
            Issue.record("writer should report closed after draining")
            return
        }
        guard case .alreadyClosed = machine.close() else {
            Issue.record("second close")
            return
        }
    }

    @Test func closeWhenIdleIsImmediate() {
        var machine = GroupCommitStateMachine<Int>(maxBatchSize: 10)
        guard case .closedNow = machine.close() else {
            Issue.record("an idle writer closes at once")
            return
        }
        guard case .rejected = machine.submit(1) else {
            Issue.record("a closed writer rejects")
            return
        }
    }

    // MARK: Gathering

    private typealias Machine = GroupCommitStateMachine<Int>
    private let gathering = GroupCommitGathering(delay: .milliseconds(2), target: 4)

    private func gatherDeadline(_ action: Machine.SubmitAction) -> (ContinuousClock.Instant, Int)? {
        if case .gather(let deadline, let generation) = action { (deadline, generation) } else { nil }
    }

    private func gatherDeadline(_ action: Machine.FinishAction) -> (ContinuousClock.Instant, Int)? {
        if case .gather(let deadline, let generation) = action { (deadline, generation) } else { nil }
    }

    /// A machine that saw 30 submissions 100 µs apart (behind one long transaction), idle
    /// from `t0 + 3 ms` on.
    private func busyMachine(_ t0: ContinuousClock.Instant) -> Machine {
        var machine = Machine(maxBatchSize: 100, gathering: gathering)
        // A rare request before: no gathering, it runs at once.
        #expect(batch(machine.submit(-1, at: t0 - .seconds(5))) == [-1])
        for n in 0..<30 {
            guard case .queued = machine.submit(n, at: t0 + .microseconds(100 * n)) else {
                Issue.record("request \(n) should queue behind the running transaction")
                return machine
            }
        }
        // At least `target` queued: no gathering.
        #expect(batch(machine.batchFinished(at: t0 + .milliseconds(3))) == Array(0..<30))
        guard case .idle = machine.batchFinished(at: t0 + .milliseconds(3)) else {
            Issue.record("idle expected")
            return machine
        }
        return machine
    }

    @Test func rareRequestsNeverWait() {
        let t0 = ContinuousClock.now
        var machine = Machine(maxBatchSize: 100, gathering: gathering)
        for n in 0..<20 {
            let at = t0 + .milliseconds(10 * n)
            #expect(batch(machine.submit(n, at: at)) == [n])
            guard case .idle = machine.batchFinished(at: at) else {
                Issue.record("idle expected")
                return
            }
        }
    }

    @Test func frequentRequestsGatherUntilTheTargetOrTheDeadline() {
        let t0 = ContinuousClock.now
        var machine = busyMachine(t0)
        // Idle, requests come often: the next one waits at most `delay` from its submission.
        let start = t0 + .milliseconds(3)
        guard let (deadline, generation) = gatherDeadline(machine.submit(100, at: start)) else {
            Issue.record("a frequent request should gather")
            return
        }
        #expect(deadline == start + .milliseconds(2))
        guard case .queued = machine.submit(101, at: start + .microseconds(100)) else {
            Issue.record("queued while gathering")
            return
        }
        // The deadline runs what was gathered; a stale deadline later does nothing.
        #expect(batch(machine.gatheringEnded(generation: generation, at: deadline)) == [100, 101])
        guard case .idle = machine.gatheringEnded(generation: generation, at: deadline) else {
            Issue.record("a stale deadline starts nothing")
            return
        }
        // Requests queued behind a transaction gather from the oldest one's submission on.
        let queuedAt = deadline + .microseconds(100)
        _ = machine.submit(102, at: queuedAt)
        _ = machine.submit(103, at: queuedAt + .microseconds(100))
        guard let (next, nextGeneration) = gatherDeadline(machine.batchFinished(at: queuedAt + .microseconds(500)))
        else {
            Issue.record("a short batch should gather")
            return
        }
        #expect(next == queuedAt + .milliseconds(2))
        #expect(nextGeneration > generation)
        // Reaching the target starts the transaction at once.
        #expect(batch(machine.submit(104, at: queuedAt + .microseconds(600))) == nil)
        #expect(batch(machine.submit(105, at: queuedAt + .microseconds(700))) == [102, 103, 104, 105])
        guard case .idle = machine.gatheringEnded(generation: nextGeneration, at: next) else {
            Issue.record("the deadline of a gathering that reached its target starts nothing")
            return
        }
        // A batch whose oldest request already waited `delay` starts without gathering.
        _ = machine.submit(106, at: next + .microseconds(100))
        #expect(batch(machine.batchFinished(at: next + .milliseconds(3))) == [106])
        #expect(machine.meanRequestsGathered > 0.5)
    }

    @Test func aSequentialCallerStopsGatheringAndIsProbedNowAndThen() {
        let t0 = ContinuousClock.now
        var machine = busyMachine(t0)
        // One caller: each request is submitted after the previous one committed, 300 µs later.
        var now = t0 + .milliseconds(3)
        var gatherings = 0
        for n in 0..<200 {
            switch machine.submit(n, at: now) {
            case .gather(let deadline, let generation):
                gatherings += 1
                now = deadline
                #expect(batch(machine.gatheringEnded(generation: generation, at: now)) == [n])
            case .startBatch(let batch):
                #expect(batch == [n])
            case .queued, .rejected:
                Issue.record("request \(n) should run")
            }
            guard case .idle = machine.batchFinished(at: now + .microseconds(200)) else {
                Issue.record("idle expected")
                return
            }
            now += .microseconds(300)
        }
        // A few gatherings until the mean says they bring nothing, then one per probe interval.
        #expect(machine.meanRequestsGathered < 0.5)
        #expect(gatherings >= 3)
        #expect(gatherings <= 3 + 200 / Machine.probeInterval + 1)
    }

    @Test func closeWhileGatheringRunsTheGatheredRequests() {
        let t0 = ContinuousClock.now
        var machine = busyMachine(t0)
        guard gatherDeadline(machine.submit(1, at: t0 + .milliseconds(3))) != nil else {
            Issue.record("should gather")
            return
        }
        _ = machine.submit(2, at: t0 + .milliseconds(3))
        guard case .startDraining(let batch) = machine.close() else {
            Issue.record("close while gathering runs the gathered requests")
            return
        }
        #expect(batch == [1, 2])
        guard case .rejected(3) = machine.submit(3) else {
            Issue.record("rejected after close")
            return
        }
        guard case .closed = machine.batchFinished() else {
            Issue.record("closed after the drain")
            return
        }
    }

    @Test func gatheringOffStartsAtOnce() {
        let t0 = ContinuousClock.now
        var machine = Machine(maxBatchSize: 100)
        for n in 0..<50 {
            #expect(batch(machine.submit(n, at: t0 + .microseconds(10 * n))) == [n])
            _ = machine.batchFinished(at: t0 + .microseconds(10 * n + 5))
        }
    }
}
