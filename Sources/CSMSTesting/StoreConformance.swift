public import CSMSCore
import Foundation
import Testing

/// The checks every `CSMSStore` implementation must pass, written once and run against
/// each backend (in-memory, SQLite, PostgreSQL).
///
/// Each check is a plain async function that takes a factory returning a new, empty store
/// and records its findings with swift-testing's `#expect` / `#require`, so any test target
/// can run them, one test case per check:
///
/// ```swift
/// @Test(arguments: StoreConformance.checks)
/// func conformance(_ check: StoreConformance.Check) async throws {
///     try await check.run { InMemoryStore() }
/// }
/// ```
///
/// The rules checked are those of docs/storage.md: nil update fields leave values alone;
/// every applied write that changes a charge point's state adds one to its `stateVersion`
/// and sets `updatedAt` to the write's time; dates are kept to the millisecond; a connector
/// status for a charge point that is not registered fails the commit with `.conflict` (the
/// rule the atomicity checks use to make a write fail); `limit <= 0` lists nothing.
public enum StoreConformance {
    /// Makes a new, empty store for one check.
    public typealias Factory = @Sendable () async throws -> any CSMSStore

    /// One named check.
    public struct Check: Sendable, CustomStringConvertible {
        /// The check's name, e.g. `upsertCreatesAndUpdates`.
        public let name: String
        private let body: @Sendable (Factory) async throws -> Void

        /// A check.
        public init(_ name: String, _ body: @escaping @Sendable (Factory) async throws -> Void) {
            self.name = name
            self.body = body
        }

        /// Runs the check on stores made by `makeStore`.
        public func run(_ makeStore: @escaping Factory) async throws { try await body(makeStore) }

        /// The name.
        public var description: String { name }
    }

    /// Every check, in a stable order.
    public static let checks: [Check] = [
        Check("upsertCreatesAndUpdates", upsertCreatesAndUpdates),
        Check("recordBootRegistersOnlyWhenAsked", recordBootRegistersOnlyWhenAsked),
        Check("recordSeenSetsLastSeen", recordSeenSetsLastSeen),
        Check("connectorStatusKeepsLatestAsCurrent", connectorStatusKeepsLatestAsCurrent),
        Check("connectorsOf16And2xKeptApart", connectorsOf16And2xKeptApart),
        Check("stateVersionCountsChangesPerStation", stateVersionCountsChangesPerStation),
        Check("storedResponseReplacedBySameId", storedResponseReplacedBySameId),
        Check("pruneStoredResponsesByAge", pruneStoredResponsesByAge),
        Check("guardedStoredResponse", guardedStoredResponse),
        Check("deadLettersGetIncreasingIds", deadLettersGetIncreasingIds),
        Check("deadLettersFilterAndPage", deadLettersFilterAndPage),
        Check("deadLetterAttemptsAndDelete", deadLetterAttemptsAndDelete),
        Check("messageLogAppendsListsAndPrunes", messageLogAppendsListsAndPrunes),
        Check("chargePointsPage", chargePointsPage),
        Check("nonPositiveLimitsListNothing", nonPositiveLimitsListNothing),
        Check("datesKeptToTheMillisecond", datesKeptToTheMillisecond),
        Check("failedCommitLeavesNothing", failedCommitLeavesNothing),
        Check("laterWriteSeesEarlierWriteOfSameCommit", laterWriteSeesEarlierWriteOfSameCommit),
        Check("concurrentCommitsAllApplied", concurrentCommitsAllApplied),
        Check("failingCommitDoesNotFailConcurrentOnes", failingCommitDoesNotFailConcurrentOnes),
        Check("emptyCommitAndReachability", emptyCommitAndReachability),
        Check("commandRecordRoundTripsAndOnlyMovesForward", commandRecordRoundTripsAndOnlyMovesForward),
        Check("commandsListNewestFirstWithCursor", commandsListNewestFirstWithCursor),
        Check("stationReportsFilterAndPage", stationReportsFilterAndPage),
        Check("configurationValuesUpsertByKey", configurationValuesUpsertByKey),
        Check("transactionLifecycle2x", transactionLifecycle2x),
        Check("duplicateSeqNoChangesNothing", duplicateSeqNoChangesNothing),
        Check("seqNoGapsCounted", seqNoGapsCounted),
        Check("start16DedupeKey", start16DedupeKey),
        Check("stop16UnknownForeignAndRepeated", stop16UnknownForeignAndRepeated),
        Check("startSupersedesStaleTransaction", startSupersedesStaleTransaction),
        Check("invalidTransitionsRecordedWithBothStates", invalidTransitionsRecordedWithBothStates),
        Check("meterSanityAnomalies", meterSanityAnomalies),
        Check("failedCommitForgetsTransactionChanges", failedCommitForgetsTransactionChanges),
        Check("meterValuesStoredOnceAndVerbatim", meterValuesStoredOnceAndVerbatim),
        Check("reservedTransactionIdsNeverRepeat", reservedTransactionIdsNeverRepeat),
        Check("transactionListingFiltersAndPages", transactionListingFiltersAndPages),
        Check("activeTransactionCountByToken", activeTransactionCountByToken),
        Check("concurrentEventsForOneTransactionSerialized", concurrentEventsForOneTransactionSerialized),
        Check("transactionChangesBumpStateVersion", transactionChangesBumpStateVersion),
        Check("idTokenUpsertReplacesAndKeepsCreatedAt", idTokenUpsertReplacesAndKeepsCreatedAt),
        Check("idTokensDeleteAndPage", idTokensDeleteAndPage),
        Check("localListReplacedAndNeedsStation", localListReplacedAndNeedsStation),
        Check("securityProfileSetReplacedCleared", securityProfileSetReplacedCleared),
        Check("securityEventsGetIncreasingIdsAndPage", securityEventsGetIncreasingIdsAndPage),
        Check("stationCertificatesByExpiry", stationCertificatesByExpiry),
        Check("apiTokensPutReplaceDelete", apiTokensPutReplaceDelete),
        Check("securityWritesRollBackWithFailedCommit", securityWritesRollBackWithFailedCommit),
        Check("reservedRemoteStartIdsNeverRepeat", reservedRemoteStartIdsNeverRepeat),
        Check("transactionFoundByRemoteStartId", transactionFoundByRemoteStartId),
        Check("firstTransaction16AfterTime", firstTransaction16AfterTime),
        Check("availabilityHistoryAppendsAndPages", availabilityHistoryAppendsAndPages),
        Check("serialBindingsBindReplaceAndClear", serialBindingsBindReplaceAndClear),
    ]

    /// Runs every check in order, each on a new store.
    public static func runAll(_ makeStore: @escaping Factory) async throws {
        for check in checks { try await check.run(makeStore) }
    }

    // MARK: - Fixtures

    /// A fixed start time with whole milliseconds (2025-06-15T15:06:40.000Z).
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    /// `t0` plus `seconds`.
    static func t(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// A valid charge point id.
    static func cp(_ text: String) -> ChargePointID { ChargePointID(text)! }

    /// Typical 2.x boot information.
    static let bootInfo = BootInfo(
        vendor: "ACME", model: "Wallbox 22", serialNumber: "SN-1", firmwareVersion: "1.2.3", bootReason: "PowerUp")

    /// A status of a 1.6 connector (`evseId` nil) or a 2.x one.
    static func status(
        _ id: ChargePointID, evse: Int? = nil, connector: Int, _ status: String, at timestamp: Date,
        receivedAt: Date? = nil
    ) -> ConnectorStatus {
        ConnectorStatus(
            chargePointId: id, evseId: evse, connectorId: connector, status: status,
            errorCode: evse == nil ? "NoError" : nil, timestamp: timestamp, receivedAt: receivedAt ?? timestamp)
    }

    /// Registers `id` (accepted) at `at`.
    static func register(_ id: ChargePointID, at: Date = t0) -> StoreWrite {
        .upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .accepted, at: at))
    }

    /// A stored answer.
    static func response(_ id: ChargePointID, _ messageId: String, digest: String = "d1", at: Date) -> StoredResponse {
        StoredResponse(
            chargePointId: id, messageId: messageId, requestDigest: digest,
            response: Array("[3,\"\(messageId)\",{}]".utf8), storedAt: at)
    }

    /// A dead letter.
    static func deadLetter(_ id: ChargePointID, _ n: Int, at: Date = t0) -> DeadLetter {
        DeadLetter(
            chargePointId: id, protocolVersion: "ocpp2.0.1", rawFrame: "[2,\"m\(n)\",\"Heartbeat\",{}]",
            reason: "handler_error", error: "failure \(n)", receivedAt: at, attempts: n)
    }

    /// The charge point, which must exist.
    static func required(_ store: any CSMSStore, _ id: ChargePointID) async throws -> ChargePoint {
        try #require(try await store.chargePoint(id))
    }

    /// Runs `body` and returns the `StoreError` it threw, or `nil` when it did not throw.
    static func storeError(_ body: () async throws(StoreError) -> Void) async -> StoreError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}
