import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// The operator API of the BootNotification serial binding (docs/api.md, "Serial binding"):
/// - `GET /charge-points/{id}/serial-binding`: `{"serialNumber": "…" | null, "boundAt": "…" | null}`;
/// - `PUT /charge-points/{id}/serial-binding` `{"serialNumber": "…" | null}`: rebinds the station
///   to that serial number, or with `null` clears the binding (the next accepted boot binds
///   again). Either lets a station that was held Pending for a mismatch be Accepted at its next boot.
struct SerialBindingRoutes: Sendable {
    let store: any CSMSStore
    let clock: any WallClock

    /// The longest serial number OCPP allows (2.0.1 `serialNumber` string[0..25]; 1.6 CiString25).
    static let maxSerialLength = 25

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/serial-binding") { _, context in
            try await get(try SecurityRoutes.chargePointId(context))
        }
        group.put("charge-points/:id/serial-binding") { request, context in
            try await put(try SecurityRoutes.chargePointId(context), request: request)
        }
    }

    private func get(_ id: ChargePointID) async throws -> Response {
        let binding = try await store.serialBinding(of: id)
        return JSONResponse.make([
            "serialNumber": binding.map { .string($0.serialNumber) } ?? .null,
            "boundAt": binding.map { .string(OCPPDateTime($0.boundAt).text) } ?? .null,
        ])
    }

    private func put(_ id: ChargePointID, request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 4096)
        let usage = #"expected {"serialNumber": "..." (1-25 characters) or null}"#
        guard case .object(let object)? = try? JSONValue(parsing: Array(buffer: body)),
            let value = object["serialNumber"]
        else { throw APIError(.invalidRequest, usage) }
        switch value {
        case .null:
            try await store.commit([.clearSerialBinding(id: id)])
        case .string(let serial) where !serial.isEmpty && serial.count <= Self.maxSerialLength:
            try await store.commit([
                .bindSerialNumber(SerialBinding(chargePointId: id, serialNumber: serial, boundAt: clock.now()))
            ])
        default:
            throw APIError(.invalidRequest, usage)
        }
        return try await get(id)
    }
}
