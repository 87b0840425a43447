public import CSMSCore
import Foundation
import Hummingbird
public import OCPP

/// `GET /api/v1/charge-points/{id}/availability?cursor=&limit=`: the station's connected and
/// offline transitions, oldest first, `{"items": [...], "nextCursor"}` (docs/api.md).
struct AvailabilityRoutes: Sendable {
    let store: any CSMSStore

    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/availability") { request, context in
            guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
                throw APIError(.invalidRequest, "invalid charge point id")
            }
            let query = request.uri.queryParameters
            let limit = try PageQuery.limit(query["limit"].map(String.init))
            let after = try PageQuery.cursor(query["cursor"].map(String.init))
            let page = try await store.availabilityHistory(chargePointId: id, after: after, limit: limit + 1)
            return PageQuery.response(page, limit: limit, id: \.id, json: AvailabilityView.json)
        }
    }
}

/// The JSON form of an availability transition.
public enum AvailabilityView {
    /// An event as JSON: `{"id", "at", "state", "reason", "sessionId"}` (`null` where absent).
    public static func json(_ event: AvailabilityEvent) -> JSONValue {
        var o = JSONObject()
        o["id"] = event.id.map { .number(JSONNumber(Int($0))) } ?? .null
        o["at"] = ChargePointView.time(event.at)
        o["state"] = .string(event.state.rawValue)
        o["reason"] = ChargePointView.text(event.reason)
        o["sessionId"] = ChargePointView.text(event.sessionId?.uuidString)
        return .object(o)
    }
}
