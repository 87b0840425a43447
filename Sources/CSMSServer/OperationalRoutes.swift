import CSMSCore
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
    static func add<Context: RequestContext>(to router: Router<Context>, store: any CSMSStore) {
        router.get("health/live") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
        router.get("health/ready") { _, _ in
            if await store.isReachable() {
                return JSONResponse.make(["status": "ok", "database": "ok"])
            }
            return JSONResponse.make(["status": "unavailable", "database": "unreachable"], status: .serviceUnavailable)
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
