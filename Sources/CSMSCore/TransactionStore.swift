public import Foundation

/// One transaction message as a write (1.6 StartTransaction / StopTransaction, 2.x
/// TransactionEvent). The store applies it with `TransactionLedger` inside the commit, so
/// the state machine runs on the committed state even when two connections race.
public struct TransactionUpdate: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The transaction id (1.6: the decimal integer).
    public var transactionId: String
    /// The 1.6 id when this is a 1.6 message; `nil` for 2.x.
    public var ocpp16Id: Int?
    /// What happened.
    public var kind: TransactionEventKind
    /// 2.x `seqNo`; `nil` in 1.6.
    public var seqNo: Int?
    /// The station's timestamp.
    public var timestamp: Date
    /// 2.x EVSE id.
    public var evseId: Int?
    /// Connector id.
    public var connectorId: Int?
    /// The presented token (1.6 start/stop `idTag`, 2.x `idToken`).
    public var idToken: AuthorizationToken?
    /// The status answered for `idToken`.
    public var authorizationStatus: AuthorizationStatus?
    /// 2.x `chargingState`.
    public var chargingState: TransactionState?
    /// 2.x `triggerReason`.
    public var triggerReason: String?
    /// 1.6 stop `reason` / 2.x `stoppedReason`.
    public var stopReason: String?
    /// 2.x `remoteStartId`.
    public var remoteStartId: Int?
    /// 1.6 / 2.x `reservationId`.
    public var reservationId: Int?
    /// 2.x `offline`.
    public var offline: Bool
    /// 2.x `numberOfPhasesUsed`.
    public var numberOfPhasesUsed: Int?
    /// 2.x `cableMaxCurrent`.
    public var cableMaxCurrent: Int?
    /// 1.6 `meterStart` (Wh).
    public var meterStart: Double?
    /// 1.6 `meterStop` (Wh).
    public var meterStop: Double?
    /// The meter values of the message (2.x `meterValue`, 1.6 `transactionData`).
    public var samples: [MeterSample]
    /// Whether a start closes another active transaction on the same connector as
    /// `Superseded` (`TransactionSettings.supersedeStaleTransactions`).
    public var supersedesActive: Bool
    /// Timestamps later than `receivedAt` plus this many seconds are flagged.
    public var allowedClockSkew: TimeInterval
    /// The message id.
    public var messageId: String
    /// When the CSMS received the message.
    public var receivedAt: Date

    /// An update; optional fields default to absent.
    public init(
        chargePointId: ChargePointID, transactionId: String, ocpp16Id: Int? = nil, kind: TransactionEventKind,
        seqNo: Int? = nil, timestamp: Date, evseId: Int? = nil, connectorId: Int? = nil,
        idToken: AuthorizationToken? = nil, authorizationStatus: AuthorizationStatus? = nil,
        chargingState: TransactionState? = nil, triggerReason: String? = nil, stopReason: String? = nil,
        remoteStartId: Int? = nil, reservationId: Int? = nil, offline: Bool = false, numberOfPhasesUsed: Int? = nil,
        cableMaxCurrent: Int? = nil, meterStart: Double? = nil, meterStop: Double? = nil, samples: [MeterSample] = [],
        supersedesActive: Bool = true, allowedClockSkew: TimeInterval = 300, messageId: String, receivedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.transactionId = transactionId
        self.ocpp16Id = ocpp16Id
        self.kind = kind
        self.seqNo = seqNo
        self.timestamp = timestamp
        self.evseId = evseId
        self.connectorId = connectorId
        self.idToken = idToken
        self.authorizationStatus = authorizationStatus
        self.chargingState = chargingState
        self.triggerReason = triggerReason
        self.stopReason = stopReason
        self.remoteStartId = remoteStartId
        self.reservationId = reservationId
        self.offline = offline
        self.numberOfPhasesUsed = numberOfPhasesUsed
        self.cableMaxCurrent = cableMaxCurrent
        self.meterStart = meterStart
        self.meterStop = meterStop
        self.samples = samples
        self.supersedesActive = supersedesActive
        self.allowedClockSkew = allowedClockSkew
        self.messageId = messageId
        self.receivedAt = receivedAt
    }
}

/// A MeterValues message: samples, for a transaction (1.6 `transactionId`) or standalone.
public struct MeterValuesUpdate: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The 1.6 `transactionId` as text, when given.
    public var transactionId: String?
    /// The samples (each carries the same station and transaction id).
    public var samples: [MeterSample]
    /// Timestamps later than `receivedAt` plus this many seconds are flagged.
    public var allowedClockSkew: TimeInterval
    /// The message id.
    public var messageId: String
    /// When the CSMS received the message.
    public var receivedAt: Date

    /// An update.
    public init(
        chargePointId: ChargePointID, transactionId: String?, samples: [MeterSample],
        allowedClockSkew: TimeInterval = 300, messageId: String, receivedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.transactionId = transactionId
        self.samples = samples
        self.allowedClockSkew = allowedClockSkew
        self.messageId = messageId
        self.receivedAt = receivedAt
    }
}

/// The transaction writes (`StoreWrite.transaction`). Rules: docs/transactions.md.
public enum TransactionWrite: Sendable, Equatable {
    /// A transaction event. A 2.x event whose (station, transaction, seqNo) is stored changes
    /// nothing. A 1.6 start whose dedupe key (station, connector, idTag, timestamp,
    /// meterStart) is stored with the same id changes nothing; with another id it fails the
    /// commit with `.conflict`.
    case event(TransactionUpdate)
    /// Meter values; an identical sample already stored is not stored again.
    case meterValues(MeterValuesUpdate)
}

/// A filter for listing transactions, newest first (by `sequence`).
public struct TransactionQuery: Sendable, Equatable {
    /// Only this station's.
    public var chargePointId: ChargePointID?
    /// `true`: only active; `false`: only ended; `nil`: both.
    public var active: Bool?
    /// Only those started at or after.
    public var startedFrom: Date?
    /// Only those started before.
    public var startedBefore: Date?
    /// Only those with a `sequence` below (the page cursor).
    public var beforeSequence: Int64?
    /// At most this many (`<= 0`: none).
    public var limit: Int

    /// A query.
    public init(
        chargePointId: ChargePointID? = nil, active: Bool? = nil, startedFrom: Date? = nil, startedBefore: Date? = nil,
        beforeSequence: Int64? = nil, limit: Int
    ) {
        self.chargePointId = chargePointId
        self.active = active
        self.startedFrom = startedFrom
        self.startedBefore = startedBefore
        self.beforeSequence = beforeSequence
        self.limit = limit
    }
}

/// The transaction reads of a `CSMSStore` (and the one durable reservation handlers need).
public protocol TransactionStoreReading: ActiveTransactionCounting {
    /// Reserves `count` new 1.6 transaction ids durably (they are never handed out again,
    /// even after a crash; unused ones are gaps) and returns them. The 1.6 StartTransaction
    /// answer carries the id, so it is reserved before the answer is built (docs/storage.md).
    func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int>

    /// The transaction `transactionId` of the station.
    func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError) -> Transaction?

    /// The 1.6 transaction started with this dedupe key, if any.
    func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction?

    /// Transactions with this id, of any station (2.x ids are only unique per station).
    func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction]

    /// Transactions matching `query`, newest first.
    func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction]

    /// Meter samples of a transaction (`nil`: the station's standalone values), by station
    /// timestamp (ties: stored first), at most `limit`.
    func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]

    /// Anomalies recorded for a transaction, oldest first.
    func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]

    /// Anomalies, optionally of one station, ordered by id after `after`, at most `limit`.
    func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]

    /// How many transactions that have not ended were started with `token` (matched on the
    /// token id), not counting `excludingTransactionId` (for ConcurrentTx).
    func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?) async throws(StoreError)
        -> Int
}
