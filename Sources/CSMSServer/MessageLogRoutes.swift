public import CSMSCore
import Foundation
import Hummingbird
public import OCPP

/// `GET /api/v1/charge-points/{id}/messages?cursor=&action=&limit=`: the station's message
/// log, oldest first, `{"items": [...], "nextCursor"}` (docs/api.md).
struct MessageLogRoutes: Sendable {
    let store: any CSMSStore

    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/messages") { request, context in
            guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
                throw APIError(.invalidRequest, "invalid charge point id")
            }
            let query = request.uri.queryParameters
            let limit = try PageQuery.limit(query["limit"].map(String.init))
            let after = try PageQuery.cursor(query["cursor"].map(String.init))
            let action = query["action"].map(String.init)
            let page = try await store.messageLog(chargePointId: id, action: action, after: after, limit: limit + 1)
            return PageQuery.response(page, limit: limit, id: \.id, json: MessageLogView.json)
        }
    }
}

/// The JSON form of a message log entry, shared by the API and the CLI.
public enum MessageLogView {
    /// An entry as JSON: `{"id", "at", "direction", "messageType", "action", "messageId", "size",
    /// "processingMicros", "payload", "errorCode"}` (`null` where absent).
    public static func json(_ entry: MessageLogEntry) -> JSONValue {
        var o = JSONObject()
        o["id"] = entry.id.map { .number(JSONNumber(Int($0))) } ?? .null
        o["at"] = ChargePointView.time(entry.at)
        o["direction"] = .string(entry.direction.rawValue)
        o["messageType"] = .number(JSONNumber(entry.messageType))
        o["action"] = ChargePointView.text(entry.action)
        o["messageId"] = .string(entry.messageId)
        o["size"] = .number(JSONNumber(entry.size))
        o["processingMicros"] = entry.processingMicros.map { .number(JSONNumber($0)) } ?? .null
        o["payload"] = ChargePointView.text(entry.payload)
        o["errorCode"] = ChargePointView.text(entry.errorCode)
        return .object(o)
    }
}
