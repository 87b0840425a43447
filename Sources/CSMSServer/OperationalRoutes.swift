import CSMSCore
import CSMSExternalAuth
import Crypto
import Foundation
import Hummingbird
import OCPP

/// Requires `Authorization: Bearer TOKEN` with the configured API token; answers 401
/// otherwise (and for every request when no token is configured). The comparison takes the
/// same time whatever the token (both sides hashed, then compared in constant time).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    private let expectedDigest: [UInt8]?

    init(token: String?) {
        expectedDigest = token.map { Array(SHA256.hash(data: Array($0.utf8))) }
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let expectedDigest else {
            throw APIError(.unauthorized, "the operator API is disabled: no API token is configured")
        }
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { throw APIError(.unauthorized, "missing bearer token") }
        let presented = Array(SHA256.hash(data: Array(header.dropFirst(7).utf8)))
        guard PasswordHash.constantTimeEqual(presented, expectedDigest) else {
            throw APIError(.unauthorized, "invalid bearer token")
        }
        return try await next(request, context)
    }
}

/// Routes that need no token: liveness, readiness, and the OpenAPI document.
enum OperationalRoutes {
    /// The OpenAPI 3.1 document of the operator API (Resources/openapi.json), read once.
    static let openAPIDocument: [UInt8]? = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return nil }
        return [UInt8](data)
    }()

    /// Adds `GET /health/live`, `GET /health/ready` and `GET /api/v1/openapi.json`.
    /// With an external authorizer, readiness also shows its breaker state
    /// (`externalAuthorization`: `closed`, `half_open` or `open`; not a readiness condition:
    /// authorization falls back while the breaker is open).
    static func add<Context: RequestContext>(
        to router: Router<Context>, store: any CSMSStore, externalAuthorizer: WebhookAuthorizer? = nil
    ) {
        router.get("health/live") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
        router.get("health/ready") { _, _ in
            var body: JSONObject = ["status": "ok", "database": "ok"]
            if let externalAuthorizer { body["externalAuthorization"] = .string(externalAuthorizer.breakerState) }
            if await store.isReachable() { return JSONResponse.make(.object(body)) }
            body["status"] = "unavailable"
            body["database"] = "unreachable"
            return JSONResponse.make(.object(body), status: .serviceUnavailable)
        }
        router.get("api/v1/openapi.json") { _, _ in
            guard let document = openAPIDocument else {
                throw APIError(.internalError, "the OpenAPI document is missing from the installation")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
