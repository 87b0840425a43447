/// The decisions of the group-commit writer, without I/O (docs/storage.md, "Group commit").
///
/// At most one transaction runs at a time. A request submitted while the writer is idle
/// starts a transaction of its own at once; requests submitted while a transaction runs
/// queue up, and when it finishes they all go into the next one (at most `maxBatchSize`).
/// Closing stops new requests, lets the queued ones run, then reports the writer closed.
package struct GroupCommitStateMachine<Request> {
    private enum State {
        case idle
        case writing(queued: [Request])
        case draining(queued: [Request])
        case closed
    }

    /// What to do after `submit`.
    package enum SubmitAction {
        /// Run a transaction with these requests now.
        case startBatch([Request])
        /// The request waits for the running transaction to finish.
        case queued
        /// The writer is closed: fail the request.
        case rejected(Request)
    }

    /// What to do after a transaction finished.
    package enum FinishAction {
        /// Run a transaction with these requests now.
        case startBatch([Request])
        /// Nothing queued: the writer is idle.
        case idle
        /// The writer drained after `close`: tell whoever waits for the close.
        case closed
    }

    /// What to do after `close`.
    package enum CloseAction {
        /// Nothing runs: the writer is closed now.
        case closedNow
        /// Wait until the running transaction and the queued requests are done.
        case waitForDrain
        /// It was already closed.
        case alreadyClosed
    }

    private var state = State.idle
    private let maxBatchSize: Int

    /// A writer that puts at most `maxBatchSize` requests (at least 1) in one transaction.
    package init(maxBatchSize: Int) {
        self.maxBatchSize = max(1, maxBatchSize)
    }

    /// Whether new requests are refused.
    package var isClosed: Bool {
        switch state {
        case .draining, .closed: true
        case .idle, .writing: false
        }
    }

    /// A caller asks for a commit.
    package mutating func submit(_ request: Request) -> SubmitAction {
        switch state {
        case .idle:
            state = .writing(queued: [])
            return .startBatch([request])
        case .writing(var queued):
            state = .idle  // drop the enum's reference so that the append does not copy the array
            queued.append(request)
            state = .writing(queued: queued)
            return .queued
        case .draining, .closed:
            return .rejected(request)
        }
    }

    /// The running transaction finished (committed or not).
    package mutating func batchFinished() -> FinishAction {
        switch state {
        case .writing(let queued):
            guard !queued.isEmpty else {
                state = .idle
                return .idle
            }
            let (batch, rest) = split(queued)
            state = .writing(queued: rest)
            return .startBatch(batch)
        case .draining(let queued):
            guard !queued.isEmpty else {
                state = .closed
                return .closed
            }
            let (batch, rest) = split(queued)
            state = .draining(queued: rest)
            return .startBatch(batch)
        case .idle, .closed:
            preconditionFailure("batchFinished() without a running transaction")
        }
    }

    /// The owner closes the writer.
    package mutating func close() -> CloseAction {
        switch state {
        case .idle:
            state = .closed
            return .closedNow
        case .writing(let queued):
            state = .draining(queued: queued)
            return .waitForDrain
        case .draining:
            return .waitForDrain
        case .closed:
            return .alreadyClosed
        }
    }

    private func split(_ queued: [Request]) -> (batch: [Request], rest: [Request]) {
        guard queued.count > maxBatchSize else { return (queued, []) }
        return (Array(queued.prefix(maxBatchSize)), Array(queued.dropFirst(maxBatchSize)))
    }
}
