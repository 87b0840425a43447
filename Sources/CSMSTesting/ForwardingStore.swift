public import CSMSCore
public import Foundation

/// A store that forwards every call to another one (usually an `InMemoryStore`), with two
/// hooks that tests override to inject failures: `checkRead()` runs before every read,
/// `checkCommit(_:)` before every commit. The processor's and the server's test doubles
/// subclass it, so a new store method is forwarded once, here.
open class ForwardingStore: CSMSStore, @unchecked Sendable {
    /// The store every call goes to.
    public let base: any CSMSStore

    /// A store forwarding to `base`.
    public init(base: any CSMSStore = InMemoryStore()) { self.base = base }

    /// Runs before every read; throw to make the read fail. Default: nothing.
    open func checkRead() throws(StoreError) {}

    /// Runs before every commit; throw to make the commit fail. Default: nothing.
    open func checkCommit(_ writes: [StoreWrite]) throws(StoreError) {}

    /// Runs after every successful commit. Default: nothing.
    open func didCommit(_ writes: [StoreWrite]) {}

    /// Checks, then commits to `base`.
    open func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        try checkCommit(writes)
        try await base.commit(writes)
        didCommit(writes)
    }

    /// `false` while reads fail, else `base`'s answer.
    open func isReachable() async -> Bool {
        do {
            try checkRead()
        } catch {
            return false
        }
        return await base.isReachable()
    }

    /// Forwarded to `base` after `checkRead()`.
    open func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try checkRead()
        return try await base.chargePoint(id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        try checkRead()
        return try await base.chargePoints(after: after, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return try await base.connectorStatuses(of: id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return try await base.statusHistory(of: id, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError)
        -> StoredResponse?
    {
        try checkRead()
        return try await base.storedResponse(chargePointId: chargePointId, messageId: messageId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        try checkRead()
        return try await base.pruneStoredResponses(olderThan: date)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int? {
        try checkRead()
        return try await base.securityProfile(of: id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]
    {
        try checkRead()
        return try await base.securityEvents(chargePointId: chargePointId, after: after, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate] {
        try checkRead()
        return try await base.stationCertificates(of: id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func apiTokens() async throws(StoreError) -> [APITokenRecord] {
        try checkRead()
        return try await base.apiTokens()
    }

    /// Forwarded to `base` after `checkRead()`.
    open func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [DeadLetter]
    {
        try checkRead()
        return try await base.deadLetters(chargePointId: chargePointId, after: after, limit: limit)
    }

    /// Forwarded to `base`.
    open func appendMessageLog(_ entries: [MessageLogEntry]) async throws(StoreError) {
        try await base.appendMessageLog(entries)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        try checkRead()
        return try await base.messageLog(chargePointId: chargePointId, action: action, after: after, limit: limit)
    }

    /// Forwarded to `base` (a write: `checkRead()` does not apply).
    open func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        try await base.pruneMessageLog(olderThan: date, maxPerStation: maxPerStation)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter? {
        try checkRead()
        return try await base.deadLetter(id: id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func command(_ id: String) async throws(StoreError) -> CommandRecord? {
        try await base.command(id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord] {
        try await base.commands(of: id, before: before, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport] {
        try await base.stationReports(of: id, action: action, requestId: requestId, after: after, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue] {
        try await base.configurationValues(of: id)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord? {
        try checkRead()
        return try await base.idToken(idToken)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord] {
        try checkRead()
        return try await base.idTokens(after: after, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState? {
        try checkRead()
        return try await base.localList(of: chargePointId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func reserveRemoteStartId() async throws(StoreError) -> Int {
        try checkRead()
        return try await base.reserveRemoteStartId()
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.transaction(chargePointId: chargePointId, remoteStartId: remoteStartId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.firstTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, storedFrom: storedFrom)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        try checkRead()
        return try await base.reserveTransactionIds(count: count)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError) -> Transaction?
    {
        try checkRead()
        return try await base.transaction(chargePointId: chargePointId, transactionId: transactionId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.startedTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, timestamp: timestamp,
            meterStart: meterStart)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction] {
        try checkRead()
        return try await base.transactions(withId: transactionId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction] {
        try checkRead()
        return try await base.transactions(matching: query)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]
    {
        try checkRead()
        return try await base.meterSamples(chargePointId: chargePointId, transactionId: transactionId, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try checkRead()
        return try await base.transactionAnomalies(chargePointId: chargePointId, transactionId: transactionId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try checkRead()
        return try await base.transactionAnomalies(chargePointId: chargePointId, after: after, limit: limit)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?)
        async throws(StoreError)
        -> Int
    {
        try checkRead()
        return try await base.activeTransactionCount(token: token, excludingTransactionId: excludingTransactionId)
    }

    /// Forwarded to `base` after `checkRead()`.
    open func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int)
        async throws(StoreError) -> [AvailabilityEvent]
    {
        try checkRead()
        return try await base.availabilityHistory(chargePointId: chargePointId, after: after, limit: limit)
    }

    /// Forwards `serialBinding(of:)`.
    open func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding? {
        try checkRead()
        return try await base.serialBinding(of: id)
    }
}
