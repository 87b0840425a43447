import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import OCPP

/// `POST /charge-points/{id}/remote-start` and `POST /charge-points/{id}/remote-stop`
/// (docs/commands.md "Remote start and stop"): the start or stop request goes out through the
/// command engine like any command; when the station accepts, the route waits (bounded) for
/// the transaction it produced and answers with its id.
///
/// The transaction is found by polling the store every `pollInterval`: transaction messages
/// are committed before they are answered (invariant 1), so whichever node holds the
/// connection, the transaction is visible here as soon as the station has its answer.
struct RemoteStartRoutes: Sendable {
    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine
    /// How often the store is asked for the transaction while waiting.
    var pollInterval: Duration = .milliseconds(100)

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("charge-points/:id/remote-start") { request, context in
            try await start(try CommandRoutes.chargePointId(context), request: request)
        }
        group.post("charge-points/:id/remote-stop") { request, context in
            try await stop(try CommandRoutes.chargePointId(context), request: request)
        }
    }

    /// Sends RemoteStartTransaction (1.6) or RequestStartTransaction (2.x, with a fresh
    /// `remoteStartId`) and waits for the transaction when the station accepts.
    private func start(_ id: ChargePointID, request: Request) async throws -> Response {
        let body = try await CommandRoutes.jsonBody(request)
        let connection = try await CommandRoutes.connection(id, store: store, registry: registry)
        let family = connection.session.version.family
        let start = try RemoteStartRequest(body: body, family: family)
        // 2.x: a fresh id from the store's durable sequence, unique across nodes.
        var remoteStartId: Int?
        if family != .v16 { remoteStartId = try await store.reserveRemoteStartId() }
        let (submitted, completion) = try await CommandRoutes.submit(
            engine, action: remoteStartId == nil ? "RemoteStartTransaction" : "RequestStartTransaction",
            payload: remoteStartId.map(start.payload2x(remoteStartId:)) ?? start.payload16, on: connection)
        let record = await completion.record()
        guard record.state == .answered else { return CommandRoutes.outcome(record) }

        let status = record.response?["status"]?.stringValue ?? "Rejected"
        var answer = JSONObject()
        answer["commandId"] = .string(submitted.id)
        answer["status"] = .string(status)
        if let remoteStartId { answer["remoteStartId"] = .number(JSONNumber(remoteStartId)) }
        answer["transactionId"] = .null
        if let info = record.response?["statusInfo"] { answer["statusInfo"] = info }
        guard status == "Accepted" else { return JSONResponse.make(.object(answer)) }
        // 2.x: a station with a transaction already running for the EVSE names it in its answer (F01/F02).
        if let known = record.response?["transactionId"]?.stringValue {
            answer["transactionId"] = .string(known)
            return JSONResponse.make(.object(answer))
        }
        guard start.waitSeconds > 0 else {
            answer["waiting"] = "notRequested"
            return JSONResponse.make(.object(answer), status: .accepted)
        }
        let found = try await poll(seconds: start.waitSeconds) { () async throws(StoreError) -> Transaction? in
            if let remoteStartId {
                return try await store.transaction(chargePointId: id, remoteStartId: remoteStartId)
            }
            return try await store.firstTransaction16(
                chargePointId: id, connectorId: start.connectorId, idTag: start.idToken, storedFrom: record.createdAt)
        }
        guard let found else {
            answer["waiting"] = "timeout"
            return JSONResponse.make(.object(answer), status: .accepted)
        }
        let anomalies = try await store.transactionAnomalies(chargePointId: id, transactionId: found.transactionId)
        answer["transactionId"] = .string(found.transactionId)
        answer["transaction"] = .object(TransactionView.item(found, anomalies: anomalies))
        return JSONResponse.make(.object(answer))
    }

    /// Sends RemoteStopTransaction (1.6) or RequestStopTransaction (2.x) and, with
    /// `waitForStop`, waits for the transaction to end.
    private func stop(_ id: ChargePointID, request: Request) async throws -> Response {
        let body = try await CommandRoutes.jsonBody(request)
        let connection = try await CommandRoutes.connection(id, store: store, registry: registry)
        let family = connection.session.version.family
        let stop = try RemoteStopRequest(body: body, family: family)
        let (submitted, completion) = try await CommandRoutes.submit(
            engine, action: RemoteStopRequest.action(family), payload: stop.payload(family), on: connection)
        let record = await completion.record()
        guard record.state == .answered else { return CommandRoutes.outcome(record) }

        let status = record.response?["status"]?.stringValue ?? "Rejected"
        var answer = JSONObject()
        answer["commandId"] = .string(submitted.id)
        answer["status"] = .string(status)
        answer["transactionId"] = .string(stop.transactionId)
        if let info = record.response?["statusInfo"] { answer["statusInfo"] = info }
        guard status == "Accepted", stop.waitSeconds > 0 else { return JSONResponse.make(.object(answer)) }
        let ended = try await poll(seconds: stop.waitSeconds) { () async throws(StoreError) -> Transaction? in
            let transaction = try await store.transaction(chargePointId: id, transactionId: stop.transactionId)
            return transaction?.state == .ended ? transaction : nil
        }
        guard let ended else {
            answer["stopped"] = false
            answer["waiting"] = "timeout"
            return JSONResponse.make(.object(answer), status: .accepted)
        }
        let anomalies = try await store.transactionAnomalies(chargePointId: id, transactionId: ended.transactionId)
        answer["stopped"] = true
        answer["transaction"] = .object(TransactionView.item(ended, anomalies: anomalies))
        return JSONResponse.make(.object(answer))
    }

    /// Asks `lookup` at once and then every `pollInterval` until it finds something or
    /// `seconds` have passed (one last look at the deadline). Throws `CancellationError` when
    /// the request's task is cancelled (server shutdown).
    private func poll(
        seconds: Int, _ lookup: () async throws(StoreError) -> Transaction?
    ) async throws -> Transaction? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let found = try await lookup() { return found }
            let now = ContinuousClock.now
            guard now < deadline else { return nil }
            try await Task.sleep(until: min(now + pollInterval, deadline), clock: .continuous)
        }
    }
}
