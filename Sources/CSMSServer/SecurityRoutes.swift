import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// The operator API's security resources (docs/api.md, "Security"):
/// - `PUT /charge-points/{id}/security-profile` `{"securityProfile": 0-3 | null}`: the
///   station's own profile (null: the configured one applies);
/// - `GET /charge-points/{id}/security-profile`: `{"securityProfile": n | null, "effective": n}`;
/// - `GET /security-events?chargePointId=&after=&limit=`: security events, oldest first;
/// - `GET /certificates?chargePointId=`: tracked station certificates, soonest expiry first.
struct SecurityRoutes: Sendable {
    let store: any CSMSStore
    let clock: any WallClock
    let configuredProfile: Int

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/security-profile") { _, context in
            try await getProfile(try Self.chargePointId(context))
        }
        group.put("charge-points/:id/security-profile") { request, context in
            try await putProfile(try Self.chargePointId(context), request: request)
        }
        group.get("security-events") { request, _ in try await events(request) }
        group.get("certificates") { request, _ in try await certificates(request) }
    }

    static func chargePointId(_ context: some RequestContext) throws -> ChargePointID {
        guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
            throw APIError(.invalidRequest, "invalid charge point id")
        }
        return id
    }

    private func getProfile(_ id: ChargePointID) async throws -> Response {
        let own = try await store.securityProfile(of: id)
        return JSONResponse.make([
            "securityProfile": own.map { .number(JSONNumber($0)) } ?? .null,
            "effective": .number(JSONNumber(own ?? configuredProfile)),
        ])
    }

    private func putProfile(_ id: ChargePointID, request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 4096)
        guard case .object(let object)? = try? JSONValue(parsing: Array(buffer: body)),
            let value = object["securityProfile"]
        else { throw APIError(.invalidRequest, #"expected {"securityProfile": 0-3 or null}"#) }
        let profile: Int?
        switch value {
        case .null:
            profile = nil
        case .number(let number):
            guard let n = Int(number.literal), (0...3).contains(n) else {
                throw APIError(.invalidRequest, "securityProfile must be 0, 1, 2, 3 or null")
            }
            profile = n
        default:
            throw APIError(.invalidRequest, "securityProfile must be 0, 1, 2, 3 or null")
        }
        try await store.commit([.setSecurityProfile(id: id, profile: profile, at: clock.now())])
        return try await getProfile(id)
    }

    private func events(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try Self.limit(query["limit"].map(String.init))
        var station: ChargePointID?
        if let text = query["chargePointId"] {
            guard let id = ChargePointID(String(text)) else { throw APIError(.invalidRequest, "invalid chargePointId") }
            station = id
        }
        var after: Int64?
        if let text = query["after"] {
            guard let value = Int64(String(text)) else { throw APIError(.invalidRequest, "after must be an integer") }
            after = value
        }
        let page = try await store.securityEvents(chargePointId: station, after: after, limit: limit + 1)
        var body = JSONObject()
        body["items"] = .array(page.prefix(limit).map(Self.view))
        if page.count > limit, let last = page.prefix(limit).last?.id { body["next"] = .number(JSONNumber(Int(last))) }
        return JSONResponse.make(.object(body))
    }

    private func certificates(_ request: Request) async throws -> Response {
        var station: ChargePointID?
        if let text = request.uri.queryParameters["chargePointId"] {
            guard let id = ChargePointID(String(text)) else { throw APIError(.invalidRequest, "invalid chargePointId") }
            station = id
        }
        let now = clock.now()
        let items: [JSONValue] = try await store.stationCertificates(of: station).map { certificate in
            [
                "chargePointId": .string(certificate.chargePointId.rawValue),
                "serialNumber": .string(certificate.serialNumber),
                "certificateType": .string(certificate.certificateType), "subject": .string(certificate.subject),
                "notBefore": .string(OCPPDateTime(certificate.notBefore).text),
                "notAfter": .string(OCPPDateTime(certificate.notAfter).text),
                "expiresInSeconds": .number(JSONNumber(Int(certificate.notAfter.timeIntervalSince(now)))),
                "pem": .string(certificate.pem),
            ]
        }
        return JSONResponse.make(["items": .array(items)])
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let value = Int(text), (1...1000).contains(value) else {
            throw APIError(.invalidRequest, "limit must be an integer from 1 to 1000")
        }
        return value
    }

    static func view(_ event: SecurityEvent) -> JSONValue {
        var object: JSONObject = [
            "id": .number(JSONNumber(Int(event.id ?? 0))), "chargePointId": .string(event.chargePointId.rawValue),
            "source": .string(event.source.rawValue), "type": .string(event.type),
            "occurredAt": .string(OCPPDateTime(event.occurredAt).text),
            "receivedAt": .string(OCPPDateTime(event.receivedAt).text),
        ]
        if let techInfo = event.techInfo { object["techInfo"] = .string(techInfo) }
        if let address = event.remoteAddress { object["remoteAddress"] = .string(address) }
        return .object(object)
    }
}
