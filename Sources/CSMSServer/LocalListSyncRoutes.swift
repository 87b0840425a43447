import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import OCPP

/// `POST /api/v1/charge-points/{id}/local-list/sync[?full=true]`: brings the station's local
/// authorization list up to date with the id token registry (docs/authorization.md): plans
/// the differential update (or a full one), sends it with SendLocalList through the command
/// engine, and stores the new list state once the station accepted it. A `VersionMismatch`
/// answer to a differential update is followed by a full update. Nothing to send: 200 with
/// `"status": "UpToDate"`.
struct LocalListSyncRoutes: Sendable {
    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine
    let clock: any WallClock

    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("charge-points/:id/local-list/sync") { request, context in
            let id = try CommandRoutes.chargePointId(context)
            let full: Bool
            switch request.uri.queryParameters["full"].map(String.init) {
            case nil, "false": full = false
            case "true": full = true
            default: throw APIError(.invalidRequest, "full must be true or false")
            }
            let connection = try await CommandRoutes.connection(id, store: store, registry: registry)
            return try await sync(connection, full: full)
        }
    }

    private func sync(_ connection: StationConnection, full: Bool) async throws -> Response {
        let id = connection.session.chargePointId
        let family = connection.session.version.family
        var full = full
        var commandIds: [JSONValue] = []
        while true {
            guard
                let update = try await LocalListSync.plan(
                    store: store, chargePointId: id, family: family, full: full, at: clock.now())
            else {
                return JSONResponse.make(["status": "UpToDate", "commandIds": .array(commandIds)])
            }
            let (_, completion) = try await CommandRoutes.submit(
                engine, action: "SendLocalList", payload: update.request(for: family), on: connection)
            let record = await completion.record()
            commandIds.append(.string(record.id))
            guard record.state == .answered, case .string(let status)? = record.response?["status"] else {
                return CommandRoutes.outcome(record)
            }
            switch LocalListSync.outcome(of: update, status: status) {
            case .commit(let writes):
                try await store.commit(writes)
                return JSONResponse.make([
                    "status": .string(status), "updateType": .string(update.kind.rawValue),
                    "listVersion": .number(JSONNumber(update.version)),
                    "entries": .number(JSONNumber(update.entries.count)),
                    "removals": .number(JSONNumber(update.removals.count)), "commandIds": .array(commandIds),
                ])
            case .sendFull where !full:
                full = true
            case .sendFull, .unchanged:
                return JSONResponse.make(["status": .string(status), "commandIds": .array(commandIds)])
            }
        }
    }
}
