import CSMSCore
import Foundation
import OCPP
import OCPP16

// OCPP 1.6 StartTransaction, StopTransaction and MeterValues (docs/transactions.md). Every
// message is acknowledged with a CALLRESULT once its data is committed; what is wrong with it
// is recorded as an anomaly by the store (invariant 2).

/// OCPP 1.6 StartTransaction (§4.8): assigns a system-wide unique integer `transactionId`
/// and answers `idTagInfo` from the authorizer. The transaction is stored even when the token
/// is not Accepted (the station may have started it offline; sanity checks never stop the
/// confirmation, §4.8): it is flagged with the status, not dropped.
///
/// A retry with a new message id (same station, connector, idTag, timestamp and meterStart)
/// gets the id already stored. A new id comes from a block reserved durably in the store
/// before the answer is built (docs/storage.md, "1.6 transaction ids").
struct StartTransactionHandler16: OCPPHandler {
    typealias Action = OCPP16.StartTransactionAction
    let ids: TransactionIdAllocator

    func handle(
        _ request: OCPP16.StartTransactionRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.StartTransactionResponse> {
        let token = AuthorizationToken(id: request.idTag)
        let meterStart = Double(request.meterStart)
        let existing = try await context.store.startedTransaction16(
            chargePointId: context.chargePointId, connectorId: request.connectorId, idTag: request.idTag,
            timestamp: request.timestamp.date, meterStart: meterStart)
        let id: Int
        if let existingId = existing?.ocpp16Id {
            id = existingId
        } else {
            id = try await ids.next(blockSize: context.configuration.transactions.idBlockSize, store: context.store)
        }
        let decision = await context.authorizeForTransaction(
            token, evseId: request.connectorId, transactionId: String(id))
        let status = decision.status.ocpp16
        let response = OCPP16.StartTransactionResponse(
            idTagInfo: OCPP16.StartTransactionResponse.IdTagInfo(
                status: OCPP16.StartTransactionResponse.IdTagInfo.Status(rawValue: status.rawValue) ?? .invalid,
                expiryDate: decision.expiryDate.map(OCPPDateTime.init), parentIdTag: decision.groupToken?.id),
            transactionId: id)
        context.logger.info(
            "transaction started",
            metadata: ["transaction_id": "\(id)", "retry": "\(existing != nil)", "authorization": "\(status)"])
        guard existing == nil else { return HandlerResult(response: response) }
        let update = TransactionUpdate(
            chargePointId: context.chargePointId, transactionId: String(id), ocpp16Id: id, kind: .started,
            timestamp: request.timestamp.date, connectorId: request.connectorId, idToken: token,
            authorizationStatus: status, reservationId: request.reservationId, meterStart: meterStart,
            supersedesActive: context.configuration.transactions.supersedeStaleTransactions,
            allowedClockSkew: context.allowedClockSkew, messageId: context.messageId, receivedAt: context.now)
        return HandlerResult(response: response, writes: [.transaction(.event(update))])
    }
}

/// OCPP 1.6 StopTransaction (§4.10): closes the transaction with meterStop,
/// timestamp, reason and `transactionData`; answers `idTagInfo` when an idTag is given.
/// A stop for an unknown id, for another station's transaction, or a second stop is still
/// acknowledged and recorded as an anomaly; it never changes another station's transaction.
struct StopTransactionHandler16: OCPPHandler {
    typealias Action = OCPP16.StopTransactionAction

    func handle(
        _ request: OCPP16.StopTransactionRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.StopTransactionResponse> {
        let id = String(request.transactionId)
        var info: OCPP16.StopTransactionResponse.IdTagInfo?
        let token = request.idTag.map { AuthorizationToken(id: $0) }
        if let token {
            let decision = await context.authorizeForTransaction(token, evseId: nil, transactionId: id)
            info = OCPP16.StopTransactionResponse.IdTagInfo(
                status: OCPP16.StopTransactionResponse.IdTagInfo.Status(rawValue: decision.status.ocpp16.rawValue)
                    ?? .invalid,
                expiryDate: decision.expiryDate.map(OCPPDateTime.init), parentIdTag: decision.groupToken?.id)
        }
        let samples = (request.transactionData ?? []).flatMap { meterValue in
            meterValue.sampledValue.map { v in
                MeterSample(
                    chargePointId: context.chargePointId, transactionId: id, timestamp: meterValue.timestamp.date,
                    value: v.value, measurand: v.measurand?.rawValue, phase: v.phase?.rawValue,
                    location: v.location?.rawValue, unit: v.unit?.rawValue, context: v.context?.rawValue,
                    format: v.format?.rawValue, signedData: v.format == .signedData ? v.value : nil,
                    receivedAt: context.now)
            }
        }
        let update = TransactionUpdate(
            chargePointId: context.chargePointId, transactionId: id, ocpp16Id: request.transactionId, kind: .ended,
            timestamp: request.timestamp.date, idToken: token, stopReason: (request.reason ?? .local).rawValue,
            meterStop: Double(request.meterStop), samples: samples, allowedClockSkew: context.allowedClockSkew,
            messageId: context.messageId, receivedAt: context.now)
        context.logger.info("transaction stopped", metadata: ["transaction_id": "\(id)"])
        return HandlerResult(
            response: OCPP16.StopTransactionResponse(idTagInfo: info), writes: [.transaction(.event(update))])
    }
}

/// OCPP 1.6 MeterValues (§4.7): every sampled value is stored with measurand, phase,
/// location, unit, context and format; a `SignedData` value is kept verbatim as signed data.
/// With a `transactionId` the values belong to that transaction (an unknown or foreign id is
/// an anomaly; the values are kept).
struct MeterValuesHandler16: OCPPHandler {
    typealias Action = OCPP16.MeterValuesAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP16.MeterValuesRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.MeterValuesResponse> {
        let id = request.transactionId.map(String.init)
        let samples = request.meterValue.flatMap { meterValue in
            meterValue.sampledValue.map { v in
                MeterSample(
                    chargePointId: context.chargePointId, transactionId: id, connectorId: request.connectorId,
                    timestamp: meterValue.timestamp.date, value: v.value, measurand: v.measurand?.rawValue,
                    phase: v.phase?.rawValue, location: v.location?.rawValue, unit: v.unit?.rawValue,
                    context: v.context?.rawValue, format: v.format?.rawValue,
                    signedData: v.format == .signedData ? v.value : nil, receivedAt: context.now)
            }
        }
        let update = MeterValuesUpdate(
            chargePointId: context.chargePointId, transactionId: id, samples: samples,
            allowedClockSkew: context.allowedClockSkew, messageId: context.messageId, receivedAt: context.now)
        return HandlerResult(response: OCPP16.MeterValuesResponse(), writes: [.transaction(.meterValues(update))])
    }
}
