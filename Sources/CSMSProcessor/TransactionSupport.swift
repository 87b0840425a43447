public import CSMSCore
public import Foundation
import Synchronization

/// How the processor handles transactions (docs/transactions.md).
public struct TransactionSettings: Sendable, Equatable {
    /// Whether a start on a connector that still has an active transaction closes the stale
    /// one (stop reason `Superseded`, anomaly `superseded`); when off, both stay active and
    /// the new one gets the anomaly `concurrent_start`. Default on.
    public var supersedeStaleTransactions: Bool
    /// How far ahead of the CSMS clock a station timestamp may be before it is flagged
    /// (`timestamp_in_future`); default 300 s.
    public var allowedClockSkew: Duration
    /// How many 1.6 transaction ids one reservation takes from the store (ids of a block not
    /// used before a restart are gaps); default 10.
    public var idBlockSize: Int

    /// Settings; every parameter has the default described on its property.
    public init(
        supersedeStaleTransactions: Bool = true, allowedClockSkew: Duration = .seconds(300), idBlockSize: Int = 10
    ) {
        self.supersedeStaleTransactions = supersedeStaleTransactions
        self.allowedClockSkew = allowedClockSkew
        self.idBlockSize = idBlockSize
    }
}

/// Hands out 1.6 transaction ids from blocks reserved durably in the store
/// (`reserveTransactionIds`), so that a StartTransaction answer never carries an id that
/// another transaction could get, even across restarts and nodes.
final class TransactionIdAllocator: Sendable {
    private let free = Mutex<[ClosedRange<Int>]>([])

    /// The next id: from the current block, or from a new one reserved in `store`.
    func next(blockSize: Int, store: StoreReader) async throws(StoreError) -> Int {
        if let id = take() { return id }
        let block = try await store.reserveTransactionIds(count: max(1, blockSize))
        if block.count > 1 { free.withLock { $0.append((block.lowerBound + 1)...block.upperBound) } }
        return block.lowerBound
    }

    private func take() -> Int? {
        free.withLock { blocks in
            guard let first = blocks.first else { return nil }
            if first.count == 1 {
                blocks.removeFirst()
            } else {
                blocks[0] = (first.lowerBound + 1)...first.upperBound
            }
            return first.lowerBound
        }
    }
}

extension StoreReader {
    /// Reserves `count` new 1.6 transaction ids durably (see `TransactionStoreReading`).
    public func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        try await store.reserveTransactionIds(count: count)
    }

    /// The transaction `transactionId` of the station.
    public func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> Transaction?
    {
        try await store.transaction(chargePointId: chargePointId, transactionId: transactionId)
    }

    /// The 1.6 transaction started with this dedupe key, if any.
    public func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        try await store.startedTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, timestamp: timestamp,
            meterStart: meterStart)
    }

    /// Active transactions started with `token`, not counting `excludingTransactionId`.
    public func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?)
        async throws(StoreError) -> Int
    {
        try await store.activeTransactionCount(token: token, excludingTransactionId: excludingTransactionId)
    }
}

extension HandlerContext {
    /// The settings' clock skew in seconds.
    var allowedClockSkew: TimeInterval { configuration.transactions.allowedClockSkew.timeInterval }

    /// Asks the authorizer about `token` for a transaction message.
    func authorizeForTransaction(
        _ token: AuthorizationToken, evseId: Int?, transactionId: String?
    ) async -> AuthorizationDecision {
        await services.authorizer.authorize(
            AuthorizationRequest(
                chargePointId: chargePointId, token: token, evseId: evseId, at: now, transactionId: transactionId))
    }
}

extension Double {
    /// The shortest decimal text of a 2.x sampled value (integral values without `.0`).
    var sampleText: String {
        if self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return description
    }
}
