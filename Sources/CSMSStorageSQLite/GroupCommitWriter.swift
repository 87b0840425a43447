import CSMSCore
import Dispatch
import GRDB
import Synchronization

/// The one writer of a `SQLiteStore`: runs commit requests in group-commit transactions on
/// GRDB's serial writer queue, driven by `GroupCommitStateMachine`.
///
/// A caller suspends on a continuation (no thread is blocked, nothing polls). When a
/// transaction finishes, the writer asks the state machine for the next batch, schedules it
/// on the writer queue (or, while gathering, a timer for it), and only then resumes the
/// callers of the finished batch, after COMMIT has returned. A request cannot be cancelled once submitted: its caller always
/// learns whether it was committed.
final class GroupCommitWriter: Sendable {
    /// One unit of work: runs inside the transaction (in its own savepoint) and returns a
    /// count (rows affected, or writes applied).
    typealias Work = @Sendable (Database) throws -> Int

    struct Request: Sendable {
        let work: Work
        let submittedAt = ContinuousClock.now
        let continuation: CheckedContinuation<Result<Int, StoreError>, Never>
    }

    private struct Locked {
        var machine: GroupCommitStateMachine<Request>
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var statistics = GroupCommitStatistics()
    }

    private let database: any DatabaseWriter
    private let locked: Mutex<Locked>
    private let onBatch: (@Sendable (GroupCommitBatchReport) -> Void)?
    private let onRollback: @Sendable () -> Void

    /// `onRollback` runs on the writer's queue right after anything was rolled back (a whole
    /// transaction, one request's savepoint, a failed COMMIT), before any more work runs: the
    /// hook for caches of what the writer wrote (`TransactionRowCache`).
    init(
        database: any DatabaseWriter, maxBatchSize: Int, gathering: GroupCommitGathering = .off,
        onBatch: (@Sendable (GroupCommitBatchReport) -> Void)?, onRollback: @escaping @Sendable () -> Void = {}
    ) {
        self.database = database
        self.locked = Mutex(
            Locked(machine: GroupCommitStateMachine(maxBatchSize: maxBatchSize, gathering: gathering)))
        self.onBatch = onBatch
        self.onRollback = onRollback
    }

    /// Totals since the writer started.
    var statistics: GroupCommitStatistics { locked.withLock { $0.statistics } }

    /// Whether the writer refuses new requests.
    var isClosed: Bool { locked.withLock { $0.machine.isClosed } }

    /// Runs `work` in the next group-commit transaction and returns its count once the
    /// transaction committed, or the failure (only `work`'s own, unless the whole
    /// transaction failed).
    func submit(_ work: @escaping Work) async -> Result<Int, StoreError> {
        await withCheckedContinuation { continuation in
            let request = Request(work: work, continuation: continuation)
            let action = locked.withLock { $0.machine.submit(request) }
            switch action {
            case .startBatch(let batch):
                run(batch)
            case .gather(let deadline, let generation):
                endGathering(generation, at: deadline)
            case .queued:
                break
            case .rejected(let request):
                request.continuation.resume(returning: .failure(StoreError(.unavailable, "the store is closed")))
            }
        }
    }

    /// Refuses new requests and returns when every accepted one is done.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (done, batch) = locked.withLock { state -> (Bool, [Request]?) in
                switch state.machine.close() {
                case .closedNow, .alreadyClosed:
                    return (true, nil)
                case .waitForDrain:
                    state.closeWaiters.append(continuation)
                    return (false, nil)
                case .startDraining(let batch):
                    state.closeWaiters.append(continuation)
                    return (false, batch)
                }
            }
            if let batch { run(batch) }
            if done { continuation.resume() }
        }
    }

    /// Runs what gathering `generation` collected at `deadline`, unless it ended before.
    private func endGathering(_ generation: Int, at deadline: ContinuousClock.Instant) {
        let wait = max(.zero, deadline - .now)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(wait.wholeNanoseconds)) { [self] in
            let next = locked.withLock { $0.machine.gatheringEnded(generation: generation) }
            if case .startBatch(let batch) = next { run(batch) }
        }
    }

    private func run(_ batch: [Request]) {
        database.asyncWriteWithoutTransaction { [self] db in
            let start = ContinuousClock.now
            let oldest = batch.map(\.submittedAt).min() ?? start
            let outcome = GroupCommitTransaction.run(batch.map(\.work), in: db, onRollback: onRollback)
            let report = GroupCommitBatchReport(
                requests: batch.count,
                failedRequests: outcome.results.count { if case .failure = $0 { true } else { false } },
                committed: outcome.committed, duration: start.duration(to: .now), queueWait: oldest.duration(to: start))

            let (next, closeWaiters) = locked.withLock { state in
                state.statistics.add(report)
                let next = state.machine.batchFinished()
                var waiters: [CheckedContinuation<Void, Never>] = []
                if case .closed = next { swap(&waiters, &state.closeWaiters) }
                return (next, waiters)
            }
            switch next {
            case .startBatch(let nextBatch): run(nextBatch)
            case .gather(let deadline, let generation): endGathering(generation, at: deadline)
            case .idle, .closed: break
            }
            onBatch?(report)
            for (request, result) in zip(batch, outcome.results) { request.continuation.resume(returning: result) }
            for waiter in closeWaiters { waiter.resume() }
        }
    }
}

/// One group-commit transaction: BEGIN IMMEDIATE, every request's work, COMMIT.
///
/// The works first run one after the other without savepoints (a savepoint and its release
/// per request cost more than a small request's own SQL). If one of them throws, the
/// transaction is rolled back and the batch runs again with each request in its own
/// savepoint: the failing request is rolled back to its savepoint and fails alone, the others
/// commit (this is "roll back and retry the others without it", and works are pure functions
/// of their writes, so running one twice is safe). When a failure aborts the whole transaction
/// (SQLite rolls back on some I/O, full-disk and busy errors), or BEGIN or COMMIT fails,
/// nothing is committed and every request of the batch fails with that error.
enum GroupCommitTransaction {
    struct Outcome {
        var results: [Result<Int, StoreError>]
        var committed: Bool
    }

    static func run(
        _ works: [GroupCommitWriter.Work], in db: Database, onRollback: () -> Void = {}
    ) -> Outcome {
        func failAll(_ error: StoreError) -> Outcome {
            onRollback()
            return Outcome(results: Array(repeating: .failure(error), count: works.count), committed: false)
        }
        do {
            try db.beginTransaction(.immediate)
        } catch {
            return failAll(StoreError(sqlite: error))
        }
        var counts: [Int] = []
        counts.reserveCapacity(works.count)
        var failure: StoreError?
        for work in works {
            do {
                counts.append(try work(db))
            } catch {
                failure = StoreError(sqlite: error)
                break
            }
        }
        if let failure {
            guard db.isInsideTransaction else {
                return failAll(StoreError(failure.code, "transaction aborted: \(failure.message)"))
            }
            do {
                try db.rollback()
                onRollback()
                guard works.count > 1 else { return Outcome(results: [.failure(failure)], committed: false) }
                try db.beginTransaction(.immediate)
            } catch {
                return failAll(StoreError(sqlite: error))
            }
            return runIsolated(works, in: db, onRollback: onRollback)
        }
        return commit(counts.map { .success($0) }, in: db, onRollback: onRollback)
    }

    /// The batch again, each request in its own savepoint (after one of them failed).
    private static func runIsolated(
        _ works: [GroupCommitWriter.Work], in db: Database, onRollback: () -> Void
    ) -> Outcome {
        var results: [Result<Int, StoreError>] = []
        results.reserveCapacity(works.count)
        for work in works {
            do {
                var count = 0
                try db.inSavepoint {
                    count = try work(db)
                    return .commit
                }
                results.append(.success(count))
            } catch {
                onRollback()
                let failure = StoreError(sqlite: error)
                guard db.isInsideTransaction else {
                    let aborted = StoreError(failure.code, "transaction aborted: \(failure.message)")
                    return Outcome(results: Array(repeating: .failure(aborted), count: works.count), committed: false)
                }
                results.append(.failure(failure))
            }
        }
        return commit(results, in: db, onRollback: onRollback)
    }

    private static func commit(
        _ results: [Result<Int, StoreError>], in db: Database, onRollback: () -> Void
    ) -> Outcome {
        do {
            try db.commit()
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            onRollback()
            let failure = StoreError(sqlite: error)
            return Outcome(results: Array(repeating: .failure(failure), count: results.count), committed: false)
        }
        return Outcome(results: results, committed: true)
    }
}
