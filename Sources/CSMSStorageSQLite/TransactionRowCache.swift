import CSMSCore
import Foundation
import Synchronization

/// The writer's copy of the transaction rows it wrote, so that a MeterValues or an Updated
/// event does not read and decode its transaction's row again (the read was a tenth of the
/// writer's time in the `sessions` benchmark, docs/benchmarks.md).
///
/// Coherent because every write of `transactions` goes through `StoreWrite.save` on the one
/// writer, which puts the saved row here, and because `GroupCommitWriter` empties the cache
/// whenever it rolls anything back (a failed request, a failed COMMIT), before it runs the
/// next piece of work. Entries hold the values as the database returns them (dates in whole
/// milliseconds), so that the ledger decides the same with or without the cache. Only the
/// writer's queue touches it; the lock only satisfies `Sendable`.
final class TransactionRowCache: Sendable {
    struct Key: Hashable {
        let chargePointId: String
        let transactionId: String
    }

    /// The most rows kept; past it the cache starts over (a full cache means many active
    /// transactions, each read once more).
    static let capacity = 50_000
    private let rows = Mutex<[Key: Transaction]>([:])

    /// The stored row of a transaction, if cached.
    func row(chargePointId: String, transactionId: String) -> Transaction? {
        rows.withLock { $0[Key(chargePointId: chargePointId, transactionId: transactionId)] }
    }

    /// Keeps `t`, as read back from the database, after a successful save. An ended
    /// transaction is dropped: it changes rarely after its end.
    func saved(_ t: Transaction) {
        let key = Key(chargePointId: t.chargePointId.rawValue, transactionId: t.transactionId)
        rows.withLock { rows in
            guard t.state != .ended else {
                rows[key] = nil
                return
            }
            if rows.count >= Self.capacity, rows[key] == nil { rows.removeAll(keepingCapacity: true) }
            rows[key] = t.asStored
        }
    }

    /// Forgets everything (after a rollback).
    func removeAll() {
        rows.withLock { $0.removeAll() }
    }
}

extension Transaction {
    /// The transaction as the database gives it back: dates cut to whole milliseconds.
    fileprivate var asStored: Transaction {
        func ms(_ date: Date) -> Date { Date(unixMilliseconds: date.unixMilliseconds) }
        var t = self
        t.startedAt = ms(startedAt)
        t.stoppedAt = stoppedAt.map(ms)
        t.lastEnergyAt = lastEnergyAt.map(ms)
        t.createdAt = ms(createdAt)
        t.updatedAt = ms(updatedAt)
        return t
    }
}
