import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import OCPP

/// The operator API's command resources (docs/api.md, docs/commands.md):
/// `POST /charge-points/{id}/commands/{Action}`, `GET /charge-points/{id}/commands`,
/// `GET /commands/{commandId}` and `DELETE /commands/{commandId}` (cancel while queued).
struct CommandRoutes: Sendable {
    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine

    /// The largest request payload accepted.
    static let maxBodySize = 256 * 1024

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.post("charge-points/:id/commands/:action") { request, context in
            try await post(request, context: context)
        }
        group.get("charge-points/:id/commands") { request, context in
            try await list(try CommandRoutes.chargePointId(context), request: request)
        }
        group.get("commands/:commandId") { _, context in try await detail(try commandId(context)) }
        group.delete("commands/:commandId") { _, context in try await cancel(try commandId(context)) }
    }

    static func chargePointId(_ context: some RequestContext) throws -> ChargePointID {
        guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
            throw APIError(.invalidRequest, "invalid charge point id")
        }
        return id
    }

    private func commandId(_ context: some RequestContext) throws -> String {
        guard let id = context.parameters.get("commandId"), (1...64).contains(id.count) else {
            throw APIError(.invalidRequest, "invalid command id")
        }
        return id
    }

    /// The registered charge point's live connection: 404 when not registered, 409 when not
    /// connected to this node.
    static func connection(
        _ id: ChargePointID, store: any CSMSStore, registry: ConnectionRegistry
    ) async throws -> StationConnection {
        guard try await store.chargePoint(id) != nil else {
            throw APIError(.notFound, "charge point \(id.rawValue) is not registered")
        }
        guard let connection = registry.connection(for: id) else {
            throw APIError(.conflict, "charge point \(id.rawValue) is not connected")
        }
        return connection
    }

    /// Reads a JSON body (an empty body is `{}`).
    static func jsonBody(_ request: Request) async throws -> JSONValue {
        let bytes = Array(buffer: try await request.body.collect(upTo: maxBodySize))
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return .object(JSONObject()) }
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw APIError(.invalidRequest, "body is not valid JSON: \(error)")
        }
    }

    /// `POST /charge-points/{id}/commands/{Action}[?wait=false]` with the OCPP request payload.
    private func post(_ request: Request, context: some RequestContext) async throws -> Response {
        let id = try Self.chargePointId(context)
        guard let action = context.parameters.get("action"), (1...64).contains(action.count) else {
            throw APIError(.invalidRequest, "invalid action")
        }
        let wait: Bool
        switch request.uri.queryParameters["wait"].map(String.init) {
        case nil, "true": wait = true
        case "false": wait = false
        default: throw APIError(.invalidRequest, "wait must be true or false")
        }
        let payload = try await Self.jsonBody(request)
        let connection = try await Self.connection(id, store: store, registry: registry)
        let (record, completion) = try await Self.submit(engine, action: action, payload: payload, on: connection)
        guard wait else {
            var response = JSONResponse.make(
                ["commandId": .string(record.id), "state": .string(record.state.rawValue)], status: .accepted)
            response.headers[.location] = "/api/v1/commands/\(record.id)"
            return response
        }
        return Self.outcome(await completion.record())
    }

    /// Submits through the engine, mapping its refusals to API errors.
    static func submit(
        _ engine: CommandEngine, action: String, payload: JSONValue, on connection: StationConnection
    ) async throws -> (record: CommandRecord, completion: CommandCompletion) {
        do {
            return try await engine.submit(action: action, payload: payload, on: connection)
        } catch {
            switch error {
            case .notConnected:
                throw APIError(.conflict, "charge point \(connection.session.chargePointId) is not connected")
            case .unknownAction(let name):
                throw APIError(
                    .notFound,
                    "\(name.prefix(64)) is not an action the CSMS sends in \(connection.session.version.subprotocol)")
            case .invalidPayload(let violations):
                throw APIError(
                    .invalidPayload, "the payload breaks the \(action)Request schema",
                    details: ["violations": .array(violations.prefix(50).map { .string($0.description) })])
            case .queueFull(let capacity):
                throw APIError(.queueFull, "the station's command queue is full (\(capacity) waiting)")
            case .store(let storeError):
                throw storeError
            }
        }
    }

    /// The answer for a final record: 200 with the response, 502 with the station's error
    /// (or the reason it failed), 504 on timeout.
    static func outcome(_ record: CommandRecord) -> Response {
        switch record.state {
        case .answered:
            return JSONResponse.make(["commandId": .string(record.id), "response": record.response ?? .null])
        case .timedOut:
            return failure(record, status: .gatewayTimeout)
        case .cancelled:
            return failure(record, status: .conflict)
        case .failed, .queued, .sent:
            return failure(record, status: .badGateway)
        }
    }

    private static func failure(_ record: CommandRecord, status: HTTPResponse.Status) -> Response {
        var error = record.error?.objectValue ?? ["code": "failed", "message": "the command failed"]
        if error["details"] == nil { error["details"] = .object(JSONObject()) }
        return JSONResponse.make(["commandId": .string(record.id), "error": .object(error)], status: status)
    }

    /// `GET /charge-points/{id}/commands?limit=N&before=TIME`: newest first; `next` is the
    /// `before` of the following page.
    private func list(_ id: ChargePointID, request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try PageQuery.limit(query["limit"].map(String.init))
        var before: Date?
        if let text = query["before"] {
            guard let time = OCPPDateTime(rfc3339: String(text)) else {
                throw APIError(.invalidRequest, "before must be an RFC 3339 date-time")
            }
            before = time.date
        }
        guard try await store.chargePoint(id) != nil else {
            throw APIError(.notFound, "charge point \(id.rawValue) is not registered")
        }
        let page = try await store.commands(of: id, before: before, limit: limit + 1)
        var body = JSONObject()
        body["items"] = .array(page.prefix(limit).map(CommandView.record))
        if page.count > limit, let last = page.prefix(limit).last {
            body["next"] = .string(OCPPDateTime(last.createdAt).text)
        }
        return JSONResponse.make(.object(body))
    }

    /// `GET /commands/{commandId}`.
    private func detail(_ id: String) async throws -> Response {
        guard let record = try await store.command(id) else { throw APIError(.notFound, "no such command") }
        return JSONResponse.make(CommandView.record(record))
    }

    /// `DELETE /commands/{commandId}`: cancels a command still queued (200 with the record);
    /// 409 when it was sent already or is final, 404 when unknown.
    private func cancel(_ id: String) async throws -> Response {
        guard let record = try await store.command(id) else { throw APIError(.notFound, "no such command") }
        guard let cancelled = await engine.cancel(commandId: id, chargePointId: record.chargePointId) else {
            throw APIError(.conflict, "the command is \(record.state.rawValue), not queued on this node")
        }
        return JSONResponse.make(CommandView.record(cancelled))
    }
}

/// The API's JSON form of a command record.
enum CommandView {
    static func record(_ record: CommandRecord) -> JSONValue {
        var o = JSONObject()
        o["commandId"] = .string(record.id)
        o["chargePointId"] = .string(record.chargePointId.rawValue)
        o["action"] = .string(record.action)
        o["protocol"] = .string(record.protocolVersion)
        o["messageId"] = .string(record.messageId)
        o["state"] = .string(record.state.rawValue)
        o["payload"] = record.payload
        o["createdAt"] = .string(OCPPDateTime(record.createdAt).text)
        o["sentAt"] = record.sentAt.map { .string(OCPPDateTime($0).text) } ?? .null
        o["completedAt"] = record.completedAt.map { .string(OCPPDateTime($0).text) } ?? .null
        o["response"] = record.response ?? .null
        o["error"] = record.error ?? .null
        o["late"] = .bool(record.late)
        return .object(o)
    }
}
