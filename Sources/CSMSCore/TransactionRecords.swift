public import Foundation

/// A charging transaction as stored (docs/transactions.md). Keyed by station and
/// `transactionId`: 1.6 ids are assigned by the CSMS (integers, unique across the system,
/// never reused), 2.x ids by the station.
public struct Transaction: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The transaction id as text (1.6: the decimal integer).
    public var transactionId: String
    /// The CSMS-assigned 1.6 id; `nil` for a 2.x transaction.
    public var ocpp16Id: Int?
    /// 2.x EVSE id; `nil` for 1.6.
    public var evseId: Int?
    /// 1.6 connector id / 2.x connector id within the EVSE, when known.
    public var connectorId: Int?
    /// The token that started the transaction, when known.
    public var idToken: AuthorizationToken?
    /// The authorization status answered for `idToken` (a transaction that is not
    /// `Accepted` is kept and flagged, never dropped).
    public var authorizationStatus: AuthorizationStatus?
    /// The current state.
    public var state: TransactionState
    /// The station's start time (the first event's timestamp).
    public var startedAt: Date
    /// The station's stop time.
    public var stoppedAt: Date?
    /// Energy register at the start, Wh.
    public var meterStart: Double?
    /// Energy register at the end, Wh.
    public var meterStop: Double?
    /// The latest energy register value seen (by station timestamp), Wh.
    public var lastEnergyWh: Double?
    /// The station timestamp of `lastEnergyWh`.
    public var lastEnergyAt: Date?
    /// 1.6 StopTransaction `reason` / 2.x `stoppedReason`, or `Superseded`.
    public var stopReason: String?
    /// The token presented to stop, when it differs from `idToken`.
    public var stopIdToken: AuthorizationToken?
    /// 2.x `remoteStartId`.
    public var remoteStartId: Int?
    /// 1.6 / 2.x `reservationId`.
    public var reservationId: Int?
    /// Whether any event was sent after being queued offline (2.x `offline`).
    public var offline: Bool
    /// 2.x `numberOfPhasesUsed` (last reported).
    public var numberOfPhasesUsed: Int?
    /// 2.x `cableMaxCurrent` (last reported).
    public var cableMaxCurrent: Int?
    /// 2.x `triggerReason` of the last event.
    public var lastTriggerReason: String?
    /// 2.x: lowest and highest `seqNo` received, and how many distinct ones.
    public var minSeqNo: Int?
    /// 2.x: highest `seqNo` received.
    public var maxSeqNo: Int?
    /// Events stored for this transaction (2.x distinct seqNos; 1.6 start and stop).
    public var eventCount: Int
    /// 2.x: seqNos missing between the lowest and the highest received.
    public var seqNoGaps: Int
    /// Store-assigned listing position: increases with every new transaction.
    public var sequence: Int64
    /// When the CSMS stored the first event.
    public var createdAt: Date
    /// When the CSMS stored the last change.
    public var updatedAt: Date

    /// A transaction in `state`, started at `startedAt`; everything else empty.
    public init(
        chargePointId: ChargePointID, transactionId: String, ocpp16Id: Int? = nil, state: TransactionState,
        startedAt: Date, createdAt: Date
    ) {
        self.chargePointId = chargePointId
        self.transactionId = transactionId
        self.ocpp16Id = ocpp16Id
        self.state = state
        self.startedAt = startedAt
        self.offline = false
        self.eventCount = 0
        self.seqNoGaps = 0
        self.sequence = 0
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// `meterStop - meterStart` once both are known.
    public var energyWh: Double? {
        guard let start = meterStart, let stop = meterStop ?? (state.isActive ? lastEnergyWh : nil) else { return nil }
        return stop - start
    }
}

/// One sampled value (1.6 `SampledValue`, 2.x `SampledValueType`), stored as reported.
public struct MeterSample: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The transaction it belongs to, as the station named it; `nil` for standalone values.
    public var transactionId: String?
    /// 2.x EVSE id (0 = the main meter); `nil` in 1.6.
    public var evseId: Int?
    /// 1.6 connector id (0 = the main meter); `nil` in 2.x.
    public var connectorId: Int?
    /// The station's timestamp of the `MeterValue`.
    public var timestamp: Date
    /// The value as text (1.6: verbatim; 2.x: the decimal number).
    public var value: String
    /// `measurand` (absent: `Energy.Active.Import.Register` by default).
    public var measurand: String?
    /// `phase`.
    public var phase: String?
    /// `location`.
    public var location: String?
    /// 1.6 `unit` / 2.x `unitOfMeasure.unit`.
    public var unit: String?
    /// 2.x `unitOfMeasure.multiplier` (power of ten).
    public var multiplier: Int?
    /// `context`, e.g. `Sample.Periodic`.
    public var context: String?
    /// 1.6 `format` (`Raw` / `SignedData`).
    public var format: String?
    /// The signed data verbatim: 2.x `signedMeterValue` as JSON text, or the 1.6 value when
    /// `format` is `SignedData`.
    public var signedData: String?
    /// When the CSMS received it.
    public var receivedAt: Date

    /// A sample.
    public init(
        chargePointId: ChargePointID, transactionId: String? = nil, evseId: Int? = nil, connectorId: Int? = nil,
        timestamp: Date, value: String, measurand: String? = nil, phase: String? = nil, location: String? = nil,
        unit: String? = nil, multiplier: Int? = nil, context: String? = nil, format: String? = nil,
        signedData: String? = nil, receivedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.transactionId = transactionId
        self.evseId = evseId
        self.connectorId = connectorId
        self.timestamp = timestamp
        self.value = value
        self.measurand = measurand
        self.phase = phase
        self.location = location
        self.unit = unit
        self.multiplier = multiplier
        self.context = context
        self.format = format
        self.signedData = signedData
        self.receivedAt = receivedAt
    }

    /// The value in Wh when this is the active energy import register (the default
    /// measurand) with a numeric value; `nil` otherwise. Units `Wh`/`kWh` and the 2.x
    /// multiplier are applied.
    public var energyRegisterWh: Double? {
        guard (measurand ?? "Energy.Active.Import.Register") == "Energy.Active.Import.Register",
            format != "SignedData", phase == nil, let number = Double(value), number.isFinite
        else { return nil }
        var wh = number
        switch unit {
        case nil, "Wh": break
        case "kWh": wh *= 1000
        default: return nil
        }
        if let multiplier { wh *= pow(10, Double(multiplier)) }
        return wh
    }
}

/// Something wrong with a transaction message, recorded while the message is still
/// acknowledged (invariant 2): an invalid state transition (with both states), a stop for
/// an unknown or foreign transaction, a superseded transaction, a meter sanity failure.
public struct TransactionAnomaly: Sendable, Equatable {
    /// Store-assigned id, increasing; `nil` before it is stored.
    public var id: Int64?
    /// The station that sent the message.
    public var chargePointId: ChargePointID
    /// The transaction the message named, when it named one.
    public var transactionId: String?
    /// A machine-readable code, e.g. `update_after_end` (docs/transactions.md).
    public var kind: String
    /// What happened, in words (no secrets; may contain station values such as meter readings).
    public var detail: String
    /// The state before, for state machine anomalies.
    public var fromState: String?
    /// The state the message asked for, for state machine anomalies.
    public var toState: String?
    /// The message id of the message.
    public var messageId: String?
    /// When the CSMS received the message.
    public var at: Date

    /// An anomaly.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, transactionId: String?, kind: String, detail: String,
        fromState: String? = nil, toState: String? = nil, messageId: String? = nil, at: Date
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.transactionId = transactionId
        self.kind = kind
        self.detail = detail
        self.fromState = fromState
        self.toState = toState
        self.messageId = messageId
        self.at = at
    }
}
