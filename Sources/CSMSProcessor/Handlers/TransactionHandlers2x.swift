import CSMSCore
import CoreMetrics
import Foundation
import OCPP
import OCPP201
import OCPP21

// OCPP 2.0.1 / 2.1 TransactionEvent and MeterValues (docs/transactions.md). The transaction
// id comes from the station; (station, transactionId, seqNo) is the dedupe key, so a repeated
// event changes nothing and gets the same answer. totalCost, chargingPriority and
// updatedPersonalMessage stay absent until a tariff feature sets them.

/// OCPP 2.0 / 2.0.1 TransactionEvent (E01-E15): Started / Updated / Ended with seqNo,
/// triggerReason, transactionInfo, evse, idToken, meterValue, offline, numberOfPhasesUsed,
/// cableMaxCurrent and reservationId. Answers `idTokenInfo` when an idToken is present (the
/// 2.0.1 part 2 definition of TransactionEventResponse asks for it then).
struct TransactionEventHandler201: OCPPHandler {
    typealias Action = OCPP201.TransactionEventAction

    func handle(
        _ request: OCPP201.TransactionEventRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.TransactionEventResponse> {
        let info = request.transactionInfo
        let event = TransactionEvent2x(
            kind: TransactionEventKind(rawValue: request.eventType.rawValue) ?? .updated,
            transactionId: info.transactionId, seqNo: request.seqNo, timestamp: request.timestamp.date,
            triggerReason: request.triggerReason.rawValue, evseId: request.evse?.id,
            connectorId: request.evse?.connectorId, token: request.idToken.map(AuthorizationToken.init),
            chargingState: info.chargingState?.rawValue, stoppedReason: info.stoppedReason?.rawValue,
            remoteStartId: info.remoteStartId, reservationId: request.reservationId, offline: request.offline ?? false,
            numberOfPhasesUsed: request.numberOfPhasesUsed, cableMaxCurrent: request.cableMaxCurrent,
            samples: (request.meterValue ?? []).flatMap { MeterSample.samples($0, evseId: request.evse?.id, context) })
        let (decision, writes) = try await event.handle(context: context)
        return HandlerResult(
            response: OCPP201.TransactionEventResponse(idTokenInfo: decision.map(OCPP201.IdTokenInfo.init)),
            writes: writes)
    }
}

/// OCPP 2.1 TransactionEvent: as in 2.0.1 (2.1's extra fields, e.g. costDetails and
/// preconditioningStatus, are accepted and not stored yet).
struct TransactionEventHandler21: OCPPHandler {
    typealias Action = OCPP21.TransactionEventAction

    func handle(
        _ request: OCPP21.TransactionEventRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.TransactionEventResponse> {
        let info = request.transactionInfo
        let event = TransactionEvent2x(
            kind: TransactionEventKind(rawValue: request.eventType.rawValue) ?? .updated,
            transactionId: info.transactionId, seqNo: request.seqNo, timestamp: request.timestamp.date,
            triggerReason: request.triggerReason.rawValue, evseId: request.evse?.id,
            connectorId: request.evse?.connectorId, token: request.idToken.map(AuthorizationToken.init),
            chargingState: info.chargingState?.rawValue, stoppedReason: info.stoppedReason?.rawValue,
            remoteStartId: info.remoteStartId, reservationId: request.reservationId, offline: request.offline ?? false,
            numberOfPhasesUsed: request.numberOfPhasesUsed, cableMaxCurrent: request.cableMaxCurrent,
            samples: (request.meterValue ?? []).flatMap { MeterSample.samples($0, evseId: request.evse?.id, context) })
        let (decision, writes) = try await event.handle(context: context)
        return HandlerResult(
            response: OCPP21.TransactionEventResponse(idTokenInfo: decision.map(OCPP21.IdTokenInfo.init)),
            writes: writes)
    }
}

/// OCPP 2.0 / 2.0.1 MeterValues (J01): standalone values of EVSE `evseId` (0 = main meter),
/// stored with measurand, phase, location, unit, context and `signedMeterValue` verbatim.
struct MeterValuesHandler201: OCPPHandler {
    typealias Action = OCPP201.MeterValuesAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP201.MeterValuesRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.MeterValuesResponse> {
        let samples = request.meterValue.flatMap { MeterSample.samples($0, evseId: request.evseId, context) }
        return HandlerResult(
            response: OCPP201.MeterValuesResponse(), writes: [.transaction(.meterValues(standalone(samples, context)))])
    }
}

/// OCPP 2.1 MeterValues: as in 2.0.1.
struct MeterValuesHandler21: OCPPHandler {
    typealias Action = OCPP21.MeterValuesAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP21.MeterValuesRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.MeterValuesResponse> {
        let samples = request.meterValue.flatMap { MeterSample.samples($0, evseId: request.evseId, context) }
        return HandlerResult(
            response: OCPP21.MeterValuesResponse(), writes: [.transaction(.meterValues(standalone(samples, context)))])
    }
}

private func standalone(_ samples: [MeterSample], _ context: HandlerContext) -> MeterValuesUpdate {
    MeterValuesUpdate(
        chargePointId: context.chargePointId, transactionId: nil, samples: samples,
        allowedClockSkew: context.allowedClockSkew, messageId: context.messageId, receivedAt: context.now)
}

/// A TransactionEvent in version-neutral terms.
struct TransactionEvent2x {
    var kind: TransactionEventKind
    var transactionId: String
    var seqNo: Int
    var timestamp: Date
    var triggerReason: String
    var evseId: Int?
    var connectorId: Int?
    var token: AuthorizationToken?
    var chargingState: String?
    var stoppedReason: String?
    var remoteStartId: Int?
    var reservationId: Int?
    var offline: Bool
    var numberOfPhasesUsed: Int?
    var cableMaxCurrent: Int?
    var samples: [MeterSample]

    /// The authorization decision for the idToken (if any) and the write. A seqNo beyond the
    /// highest stored one plus one counts the missing ones in `ocpp.transactions.seqno_gaps`.
    func handle(context: HandlerContext) async throws -> (AuthorizationDecision?, [StoreWrite]) {
        let stored = try await context.store.transaction(
            chargePointId: context.chargePointId, transactionId: transactionId)
        if let high = stored?.maxSeqNo, seqNo > high + 1 {
            Counter(label: "ocpp.transactions.seqno_gaps").increment(by: Int64(seqNo - high - 1))
            context.logger.notice(
                "seqNo gap in transaction events",
                metadata: ["transaction_id": "\(transactionId)", "seq_no": "\(seqNo)"])
        }
        var decision: AuthorizationDecision?
        if let token {
            decision = await context.authorizeForTransaction(token, evseId: evseId, transactionId: transactionId)
        }
        let update = TransactionUpdate(
            chargePointId: context.chargePointId, transactionId: transactionId, kind: kind, seqNo: seqNo,
            timestamp: timestamp, evseId: evseId, connectorId: connectorId, idToken: token,
            authorizationStatus: decision?.status,
            chargingState: chargingState.flatMap { TransactionState(chargingState: $0) },
            triggerReason: triggerReason, stopReason: stoppedReason ?? (kind == .ended ? "Local" : nil),
            remoteStartId: remoteStartId, reservationId: reservationId, offline: offline,
            numberOfPhasesUsed: numberOfPhasesUsed, cableMaxCurrent: cableMaxCurrent, samples: samples,
            supersedesActive: context.configuration.transactions.supersedeStaleTransactions,
            allowedClockSkew: context.allowedClockSkew, messageId: context.messageId, receivedAt: context.now)
        return (decision, [.transaction(.event(update))])
    }
}

extension MeterSample {
    /// The samples of a 2.0.1 `MeterValueType`.
    static func samples(_ meterValue: OCPP201.MeterValue, evseId: Int?, _ context: HandlerContext) -> [MeterSample] {
        meterValue.sampledValue.map { v in
            MeterSample(
                chargePointId: context.chargePointId, evseId: evseId, timestamp: meterValue.timestamp.date,
                value: v.value.sampleText, measurand: v.measurand?.rawValue, phase: v.phase?.rawValue,
                location: v.location?.rawValue, unit: v.unitOfMeasure?.unit, multiplier: v.unitOfMeasure?.multiplier,
                context: v.context?.rawValue,
                signedData: v.signedMeterValue.map { String(decoding: $0.encode().serialized(), as: UTF8.self) },
                receivedAt: context.now)
        }
    }

    /// The samples of a 2.1 `MeterValueType`.
    static func samples(_ meterValue: OCPP21.MeterValue, evseId: Int?, _ context: HandlerContext) -> [MeterSample] {
        meterValue.sampledValue.map { v in
            MeterSample(
                chargePointId: context.chargePointId, evseId: evseId, timestamp: meterValue.timestamp.date,
                value: v.value.sampleText, measurand: v.measurand?.rawValue, phase: v.phase?.rawValue,
                location: v.location?.rawValue, unit: v.unitOfMeasure?.unit, multiplier: v.unitOfMeasure?.multiplier,
                context: v.context?.rawValue,
                signedData: v.signedMeterValue.map { String(decoding: $0.encode().serialized(), as: UTF8.self) },
                receivedAt: context.now)
        }
    }
}
