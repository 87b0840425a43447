import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import OCPP

/// The operator API's id token registry under `/api/v1/id-tokens` (docs/api.md, "Id tokens"),
/// and the read-only local list view of a charge point.
struct IdTokenRoutes: Sendable {
    let store: any CSMSStore
    let clock: any WallClock

    /// The most items one list page returns.
    static let maxPageSize = 1000
    /// The page size when `limit` is not given.
    static let defaultPageSize = 100

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("id-tokens") { request, _ in try await list(request) }
        group.get("id-tokens/:idToken") { _, context in try await detail(try idToken(context)) }
        group.put("id-tokens/:idToken") { request, context in
            try await put(try idToken(context), request: request, context: context)
        }
        group.delete("id-tokens/:idToken") { _, context in try await delete(try idToken(context), context: context) }
        group.get("charge-points/:id/local-list") { _, context in try await localList(context) }
    }

    private func idToken(_ context: some RequestContext) throws -> String {
        guard let segment = context.parameters.get("idToken"), let text = segment.removingPercentEncoding,
            IdTokenRecord.isValidToken(text)
        else { throw IdTokenFields.invalidToken }
        return text
    }

    /// `GET /id-tokens?cursor=C&limit=N`: `{"items": [...], "next": C?}`, ordered by token;
    /// `next` is the opaque cursor of the following page.
    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var limit = Self.defaultPageSize
        if let text = query["limit"] {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                throw APIError(.invalidRequest, "limit must be an integer from 1 to \(Self.maxPageSize)")
            }
            limit = value
        }
        var after: String?
        if let text = query["cursor"], !text.isEmpty {
            guard let token = Self.decodeCursor(String(text)) else { throw APIError(.invalidRequest, "invalid cursor") }
            after = token
        }
        let page = try await store.idTokens(after: after, limit: limit + 1)
        var body = JSONObject()
        body["items"] = .array(page.prefix(limit).map(IdTokenFields.view))
        if page.count > limit, let last = page.prefix(limit).last { body["next"] = .string(Self.cursor(last.idToken)) }
        return JSONResponse.make(.object(body))
    }

    /// The cursor of the page after `idToken`: its base64url text (no padding).
    static func cursor(_ idToken: String) -> String {
        Data(idToken.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The token of a cursor, or `nil` when it is not one.
    static func decodeCursor(_ cursor: String) -> String? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text), let token = String(data: data, encoding: .utf8),
            IdTokenRecord.isValidToken(token)
        else { return nil }
        return token
    }

    /// `GET /id-tokens/{idToken}`: the entry; 404 when unknown.
    private func detail(_ idToken: String) async throws -> Response {
        guard let record = try await store.idToken(idToken) else { throw notFound(idToken) }
        return JSONResponse.make(IdTokenFields.view(record))
    }

    /// `PUT /id-tokens/{idToken}`: stores the entry (201 when new, 200 when replaced).
    private func put(_ idToken: String, request: Request, context: some RequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(buffer: body))
        } catch {
            throw APIError(.invalidRequest, "body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw APIError(.invalidRequest, "body must be a JSON object") }
        let record = try IdTokenFields.record(idToken: idToken, object: object, at: clock.now())
        let existed = try await store.idToken(idToken) != nil
        try await store.commit([.upsertIdToken(record)])
        guard let stored = try await store.idToken(idToken) else {
            throw APIError(.internalError, "the id token was not stored")
        }
        var response = JSONResponse.make(IdTokenFields.view(stored), status: existed ? .ok : .created)
        if !existed { response.headers[.location] = "/api/v1/id-tokens/\(IdTokenRoutes.pathSegment(idToken))" }
        context.logger.info(
            existed ? "id token updated" : "id token added",
            metadata: ["id_token_status": .string(record.status.rawValue)])
        return response
    }

    /// `DELETE /id-tokens/{idToken}`: 204; 404 when unknown.
    private func delete(_ idToken: String, context: some RequestContext) async throws -> Response {
        guard try await store.idToken(idToken) != nil else { throw notFound(idToken) }
        try await store.commit([.deleteIdToken(idToken)])
        context.logger.info("id token deleted")
        return Response(status: .noContent)
    }

    /// `GET /charge-points/{id}/local-list`: the list version the station holds, its entries,
    /// and the update the next sync would send (computed from the registry).
    private func localList(_ context: some RequestContext) async throws -> Response {
        guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
            throw APIError(.invalidRequest, "invalid charge point id")
        }
        guard let chargePoint = try await store.chargePoint(id) else {
            throw APIError(.notFound, "charge point \(id.rawValue) is not registered")
        }
        let family = chargePoint.protocolVersion.flatMap(OCPPVersion.init(subprotocol:))?.family ?? .v201
        let current = try await store.localList(of: id)
        let update = try await LocalListSync.plan(store: store, chargePointId: id, family: family, at: clock.now())
        var body = JSONObject()
        body["chargePointId"] = .string(id.rawValue)
        body["version"] = .number(JSONNumber(current?.version ?? 0))
        body["entries"] = .array(
            (current?.entries ?? []).map { entry -> JSONValue in
                [
                    "idToken": .string(entry.idToken), "type": entry.type.map(JSONValue.string) ?? .null,
                    "status": .string(entry.status.rawValue),
                    "expiryDate": entry.expiryDate.map { .string(OCPPDateTime($0).text) } ?? .null,
                    "groupIdToken": entry.groupIdToken.map(JSONValue.string) ?? .null,
                ]
            })
        body["pending"] =
            update.map { update -> JSONValue in
                [
                    "updateType": .string(update.kind.rawValue), "version": .number(JSONNumber(update.version)),
                    "upserts": .number(JSONNumber(update.entries.count)),
                    "removals": .number(JSONNumber(update.removals.count)),
                ]
            } ?? .null
        return JSONResponse.make(.object(body))
    }

    /// `idToken` percent-encoded for a path segment.
    static func pathSegment(_ idToken: String) -> String {
        idToken.addingPercentEncoding(
            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? idToken
    }

    private func notFound(_ idToken: String) -> APIError {
        APIError(.notFound, "id token \(idToken.prefix(60)) is not in the registry")
    }
}
