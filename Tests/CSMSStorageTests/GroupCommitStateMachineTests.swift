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
}
