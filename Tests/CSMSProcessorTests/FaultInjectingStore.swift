import CSMSCore
import CSMSTesting
import Foundation
import Synchronization

/// `CSMSTesting.InMemoryStore` with failure injection and a log of successful commits, for
/// the processor's failure-path tests. Every read and write goes to the in-memory store.
final class FaultInjectingStore: ForwardingStore, @unchecked Sendable {
    private struct Faults {
        var failingCommits = 0
        var failingReads = false
        var commits: [[StoreWrite]] = []
    }

    private let faults = Mutex(Faults())

    init() { super.init(base: InMemoryStore()) }

    /// Makes the next `n` commits fail with `.unavailable`.
    func setFailingCommits(_ n: Int) { faults.withLock { $0.failingCommits = n } }
    /// Makes every read fail with `.unavailable` while `on`.
    func setFailingReads(_ on: Bool) { faults.withLock { $0.failingReads = on } }
    /// Every successful non-empty commit, in order.
    var commits: [[StoreWrite]] { faults.withLock { $0.commits } }

    override func checkCommit(_ writes: [StoreWrite]) throws(StoreError) {
        let fails = faults.withLock { f in
            guard f.failingCommits > 0 else { return false }
            f.failingCommits -= 1
            return true
        }
        if fails { throw StoreError(.unavailable, "injected commit failure") }
    }

    override func didCommit(_ writes: [StoreWrite]) {
        if !writes.isEmpty { faults.withLock { $0.commits.append(writes) } }
    }

    override func checkRead() throws(StoreError) {
        if faults.withLock({ $0.failingReads }) { throw StoreError(.unavailable, "injected read failure") }
    }

    // MARK: Test conveniences (bypass the injected faults)

    /// The charge point as stored.
    func stored(_ id: ChargePointID) async -> ChargePoint? { try? await base.chargePoint(id) }

    /// Every dead letter, oldest first.
    func letters() async -> [DeadLetter] {
        (try? await base.deadLetters(chargePointId: nil, after: nil, limit: 1000)) ?? []
    }

    /// The stored answer to `messageId` of `id`.
    func response(_ id: ChargePointID, _ messageId: String) async -> StoredResponse? {
        try? await base.storedResponse(chargePointId: id, messageId: messageId)
    }

    /// Sets the operator's registration setting, creating the charge point.
    func register(_ id: ChargePointID, status: RegistrationStatus? = nil, at: Date = Date(timeIntervalSince1970: 0))
        async
    {
        try? await base.commit([.upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: status, at: at))])
    }
}
