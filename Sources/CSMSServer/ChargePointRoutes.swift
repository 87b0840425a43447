import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import OCPP

/// The operator API's charge point resources under `/api/v1/charge-points` (docs/api.md).
struct ChargePointRoutes: Sendable {
    let store: any CSMSStore
    let registry: ConnectionRegistry
    let clock: any WallClock

    static let minPasswordLength = 16
    /// The longest password accepted.
    static let maxPasswordLength = 40

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points") { request, _ in try await list(request) }
        group.get("charge-points/:id") { _, context in try await detail(try chargePointId(context)) }
        group.put("charge-points/:id") { request, context in
            try await put(try chargePointId(context), request: request, context: context)
        }
        group.get("charge-points/:id/shadow") { _, context in try await shadow(try chargePointId(context)) }
    }

    private func chargePointId(_ context: some RequestContext) throws -> ChargePointID {
        guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
            throw APIError(
                .invalidRequest, "invalid charge point id (1-48 characters of a-z A-Z 0-9 * - _ = : + | @ .)")
        }
        return id
    }

    /// `GET /charge-points?after=ID&limit=N`: `{"items": [...], "next": ID?}`, ordered by id.
    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try PageQuery.limit(query["limit"].map(String.init))
        var after: ChargePointID?
        if let text = query["after"] {
            guard let id = ChargePointID(String(text)) else { throw APIError(.invalidRequest, "invalid 'after' id") }
            after = id
        }
        let page = try await store.chargePoints(after: after, limit: limit + 1)
        let items = page.prefix(limit).map { ChargePointView.summary($0, live: registry.connection(for: $0.id)) }
        var body = JSONObject()
        body["items"] = .array(Array(items))
        if page.count > limit, let last = page.prefix(limit).last { body["next"] = .string(last.id.rawValue) }
        return JSONResponse.make(.object(body))
    }

    /// `GET /charge-points/{id}`: the charge point with its connectors; 404 when unknown.
    private func detail(_ id: ChargePointID) async throws -> Response {
        guard let chargePoint = try await store.chargePoint(id) else { throw notFound(id) }
        return JSONResponse.make(try await view(chargePoint))
    }

    private func view(_ chargePoint: ChargePoint) async throws -> JSONValue {
        let connectors = try await store.connectorStatuses(of: chargePoint.id)
        let active = try await store.transactions(
            matching: TransactionQuery(chargePointId: chargePoint.id, active: true, limit: 100))
        return ChargePointView.detail(
            chargePoint, connectors: connectors, live: registry.connection(for: chargePoint.id),
            activeTransactions: active)
    }

    /// `PUT /charge-points/{id}` with `{"password"?, "registrationStatus"?}`: registers the
    /// charge point (201) or updates it (200); answers with the charge point.
    private func put(_ id: ChargePointID, request: Request, context: some RequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let (fields, password) = try Self.parseUpdate(Array(buffer: body), id: id, at: clock.now())
        var update = fields
        if let password { update.passwordHash = try await PasswordHash.makeOffPool(password: password) }
        let existed = try await store.chargePoint(id) != nil
        try await store.commit([.upsertChargePoint(update)])
        guard let stored = try await store.chargePoint(id) else {
            throw APIError(.internalError, "the charge point was not stored")
        }
        var response = JSONResponse.make(try await view(stored), status: existed ? .ok : .created)
        if !existed { response.headers[.location] = "/api/v1/charge-points/\(id.rawValue)" }
        context.logger.info(
            existed ? "charge point updated" : "charge point registered",
            metadata: [
                LogKey.chargePointId: .string(id.rawValue),
                "password_changed": .stringConvertible(update.passwordHash != nil),
            ])
        return response
    }

    /// Reads a PUT body strictly: a JSON object with only `password` (a string of 16 to 40
    /// characters, returned apart to be hashed) and `registrationStatus` (`Accepted`,
    /// `Pending`, `Rejected`). An empty body changes nothing.
    static func parseUpdate(
        _ bytes: [UInt8], id: ChargePointID, at date: Date
    ) throws(APIError) -> (update: ChargePointUpdate, password: String?) {
        var update = ChargePointUpdate(id: id, at: date)
        var password: String?
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return (update, nil) }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw APIError(.invalidRequest, "body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw APIError(.invalidRequest, "body must be a JSON object") }
        for (key, member) in object {
            switch key {
            case "password":
                guard case .string(let text) = member, (minPasswordLength...maxPasswordLength).contains(text.count)
                else {
                    throw APIError(
                        .invalidRequest,
                        "password must be a string of \(minPasswordLength) to \(maxPasswordLength) characters")
                }
                password = text
            case "registrationStatus":
                guard case .string(let text) = member, let status = RegistrationStatus(rawValue: text) else {
                    throw APIError(.invalidRequest, "registrationStatus must be Accepted, Pending or Rejected")
                }
                update.registrationStatus = status
            default:
                throw APIError(
                    .invalidRequest, "unknown member '\(key.prefix(40))' (allowed: password, registrationStatus)")
            }
        }
        return (update, password)
    }

    /// `GET /charge-points/{id}/shadow`: the reported state as one document.
    private func shadow(_ id: ChargePointID) async throws -> Response {
        guard let chargePoint = try await store.chargePoint(id) else { throw notFound(id) }
        let connectors = try await store.connectorStatuses(of: id)
        let configuration = try await store.configurationValues(of: id)
        let active = try await store.transactions(
            matching: TransactionQuery(chargePointId: id, active: true, limit: 100))
        let shadow = ChargePointShadow(chargePoint: chargePoint, connectors: connectors, activeTransactions: active)
        return JSONResponse.make(ChargePointView.shadow(shadow.adding(configuration: configuration)))
    }

    private func notFound(_ id: ChargePointID) -> APIError {
        APIError(.notFound, "charge point \(id.rawValue) is not registered")
    }
}
