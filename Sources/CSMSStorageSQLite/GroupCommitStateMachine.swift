/// The decisions of the group-commit writer, without I/O (docs/storage.md, "Group commit").
///
/// At most one transaction runs at a time. Requests submitted while a transaction runs queue
/// up, and when it finishes they go into the next one (at most `maxBatchSize`). A request
/// submitted while the writer is idle starts a transaction of its own at once, unless the
/// writer gathers.
///
/// Gathering (`GroupCommitGathering`): a transaction costs a fixed part (BEGIN, COMMIT, the
/// WAL frames of the pages every request touches, the `fdatasync`) besides its requests' own
/// writes. When requests arrive often (their mean gap, an exponentially weighted average, is
/// below `delay`) but a transaction would take fewer than `target` of them, the writer waits
/// for more: until `target` are queued, or until the oldest queued request has waited
/// `delay`, whichever comes first. When requests are rare it never waits. Nor does it while
/// waiting brings nothing: a single caller that commits one request after the other submits
/// often, but never while its own request waits. The writer keeps a weighted mean of how
/// many requests each gathering added; below one half it stops gathering, and tries again
/// once every `probeInterval` transactions.
///
/// Closing stops new requests, lets the queued ones run, then reports the writer closed.
package struct GroupCommitStateMachine<Request> {
    private enum State {
        case idle
        /// No transaction runs; the queued requests wait for more (timer `generation`).
        case gathering(queued: [Request], generation: Int)
        case writing(queued: [Request])
        case draining(queued: [Request])
        case closed
    }

    /// What to do after `submit`.
    package enum SubmitAction {
        /// Run a transaction with these requests now.
        case startBatch([Request])
        /// The request waits for the running transaction to finish, or for the gathering to end.
        case queued
        /// Wait for more requests: call `gatheringEnded(generation:)` at `deadline`.
        case gather(until: ContinuousClock.Instant, generation: Int)
        /// The writer is closed: fail the request.
        case rejected(Request)
    }

    /// What to do after a transaction finished, or after a gathering's deadline.
    package enum FinishAction {
        /// Run a transaction with these requests now.
        case startBatch([Request])
        /// Wait for more requests: call `gatheringEnded(generation:)` at `deadline`.
        case gather(until: ContinuousClock.Instant, generation: Int)
        /// Nothing to run now: the writer is idle, or (after a stale deadline) busy.
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
        /// The writer was gathering: run these requests now, then drain.
        case startDraining([Request])
        /// It was already closed.
        case alreadyClosed
    }

    private var state = State.idle
    private let maxBatchSize: Int
    private let gathering: GroupCommitGathering
    /// The generation of the latest gathering (a deadline of an older one is stale).
    private var generation = 0
    /// The exponentially weighted mean gap between submissions (weight 1/8 for the newest),
    /// each gap counted as at most four times the gathering delay: after a quiet spell, a
    /// dozen requests in quick succession bring the mean below the delay.
    private var meanGap: Duration
    private var lastSubmission: ContinuousClock.Instant?
    /// When the oldest request of the queue was submitted.
    private var queuedSince: ContinuousClock.Instant?
    /// The weighted mean (weight 1/4 for the newest) of the requests a gathering added, in
    /// 1/256ths.
    private var meanGathered = 256
    /// How many requests the running gathering started with.
    private var gatheringFrom = 0
    /// Transactions started without gathering since gathering was last tried.
    private var sinceProbe = 0

    /// Transactions between two tries of gathering while it brings nothing.
    package static var probeInterval: Int { 32 }

    /// A writer that puts at most `maxBatchSize` requests (at least 1) in one transaction,
    /// and gathers as `gathering` says (by default it does not).
    package init(maxBatchSize: Int, gathering: GroupCommitGathering = .off) {
        self.maxBatchSize = max(1, maxBatchSize)
        self.gathering = gathering
        self.meanGap = gathering.delay * 4
    }

    /// Whether new requests are refused.
    package var isClosed: Bool {
        switch state {
        case .draining, .closed: true
        case .idle, .gathering, .writing: false
        }
    }

    /// A caller asks for a commit at `now`.
    package mutating func submit(_ request: Request, at now: ContinuousClock.Instant = .now) -> SubmitAction {
        if let lastSubmission {
            let gap = min(max(.zero, now - lastSubmission), gathering.delay * 4)
            meanGap = (meanGap * 7 + gap) / 8
        }
        lastSubmission = now
        switch state {
        case .idle:
            queuedSince = now
            if let deadline = gatheringDeadline(queued: 1, now: now) {
                return .gather(until: deadline, generation: startGathering([request]))
            }
            state = .writing(queued: [])
            queuedSince = nil
            return .startBatch([request])
        case .gathering(var queued, let generation):
            state = .idle  // drop the enum's reference so that the append does not copy the array
            queued.append(request)
            guard queued.count >= gathering.target else {
                state = .gathering(queued: queued, generation: generation)
                return .queued
            }
            recordGathered(queued.count)
            return .startBatch(start(queued, now: now))
        case .writing(var queued):
            state = .idle
            if queued.isEmpty { queuedSince = now }
            queued.append(request)
            state = .writing(queued: queued)
            return .queued
        case .draining, .closed:
            return .rejected(request)
        }
    }

    /// The running transaction finished (committed or not) at `now`.
    package mutating func batchFinished(at now: ContinuousClock.Instant = .now) -> FinishAction {
        switch state {
        case .writing(let queued):
            guard !queued.isEmpty else {
                state = .idle
                queuedSince = nil
                return .idle
            }
            if let deadline = gatheringDeadline(queued: queued.count, now: now) {
                return .gather(until: deadline, generation: startGathering(queued))
            }
            return .startBatch(start(queued, now: now))
        case .draining(let queued):
            guard !queued.isEmpty else {
                state = .closed
                return .closed
            }
            let (batch, rest) = split(queued)
            state = .draining(queued: rest)
            return .startBatch(batch)
        case .idle, .gathering, .closed:
            preconditionFailure("batchFinished() without a running transaction")
        }
    }

    /// The deadline of gathering `generation` passed at `now`: run what was gathered (nothing,
    /// if that gathering already ended).
    package mutating func gatheringEnded(generation: Int, at now: ContinuousClock.Instant = .now) -> FinishAction {
        guard case .gathering(let queued, let current) = state, current == generation else { return .idle }
        recordGathered(queued.count)
        return .startBatch(start(queued, now: now))
    }

    /// The owner closes the writer.
    package mutating func close() -> CloseAction {
        switch state {
        case .idle:
            state = .closed
            return .closedNow
        case .gathering(let queued, _):
            let (batch, rest) = split(queued)
            state = .draining(queued: rest)
            return .startDraining(batch)
        case .writing(let queued):
            state = .draining(queued: queued)
            return .waitForDrain
        case .draining:
            return .waitForDrain
        case .closed:
            return .alreadyClosed
        }
    }

    /// How many requests a gathering added on average (weighted towards the latest; tests).
    package var meanRequestsGathered: Double { Double(meanGathered) / 256 }

    /// When to stop waiting for more requests, or nil to start a transaction of `queued` now.
    private mutating func gatheringDeadline(queued: Int, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard gathering.isOn, queued < gathering.target, meanGap < gathering.delay else { return nil }
        let deadline = (queuedSince ?? now) + gathering.delay
        guard deadline > now else { return nil }
        if meanGathered < 128 {
            // Gathering brought nothing lately: try it once in a while only.
            sinceProbe += 1
            guard sinceProbe >= Self.probeInterval else { return nil }
        }
        sinceProbe = 0
        return deadline
    }

    /// Waits for more requests besides `queued`; returns the gathering's generation.
    private mutating func startGathering(_ queued: [Request]) -> Int {
        generation += 1
        gatheringFrom = queued.count
        state = .gathering(queued: queued, generation: generation)
        return generation
    }

    /// A gathering ended with `count` requests queued.
    private mutating func recordGathered(_ count: Int) {
        meanGathered = (meanGathered * 3 + (count - gatheringFrom) * 256) / 4
    }

    /// Starts a transaction of the first `maxBatchSize` of `queued`; returns them.
    private mutating func start(_ queued: [Request], now: ContinuousClock.Instant) -> [Request] {
        let (batch, rest) = split(queued)
        state = .writing(queued: rest)
        queuedSince = rest.isEmpty ? nil : now
        return batch
    }

    private func split(_ queued: [Request]) -> (batch: [Request], rest: [Request]) {
        guard queued.count > maxBatchSize else { return (queued, []) }
        return (Array(queued.prefix(maxBatchSize)), Array(queued.dropFirst(maxBatchSize)))
    }
}

/// How long the group-commit writer may wait for more requests before a transaction
/// (`GroupCommitStateMachine`, docs/storage.md "Group commit").
public struct GroupCommitGathering: Sendable, Equatable {
    /// The longest a request waits for others (counted from its submission, so including its
    /// wait behind a running transaction). Zero turns gathering off.
    public var delay: Duration
    /// A transaction starts without waiting once this many requests are queued.
    public var target: Int

    /// Gathering for at most `delay`, or until `target` requests are queued.
    public init(delay: Duration, target: Int) {
        self.delay = delay
        self.target = target
    }

    /// No gathering: a transaction starts as soon as the writer is free.
    public static let off = GroupCommitGathering(delay: .zero, target: 1)

    /// Whether the writer ever waits.
    var isOn: Bool { delay > .zero && target > 1 }
}
