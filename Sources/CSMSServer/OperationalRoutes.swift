import CSMSCore
import CSMSExternalAuth
import Crypto
import Foundation
import Hummingbird
import OCPP

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
    /// authorization falls back while the breaker is open). `externalAuthorizer` is asked per
    /// request (a configuration reload can replace it).
    /// The external CA's breaker is shown the same way (`externalCA`).
    static func add<Context: RequestContext>(
        to router: Router<Context>, store: any CSMSStore, externalCA: ExternalCASigner? = nil,
        externalAuthorizer: @escaping @Sendable () -> WebhookAuthorizer? = { nil }
    ) {
        router.get("health/live") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
        router.get("health/ready") { _, _ in
            var body: JSONObject = ["status": "ok", "database": "ok"]
            if let externalAuthorizer = externalAuthorizer() {
                body["externalAuthorization"] = .string(externalAuthorizer.breakerState)
            }
            if let externalCA { body["externalCA"] = .string(externalCA.client.breakerState) }
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
