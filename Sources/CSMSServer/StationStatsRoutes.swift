import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// `GET /api/v1/charge-points/{id}/stats?window=SECONDS`: one station's traffic over a sliding
/// window (default 24 h, at most 7 days), computed from its message log (docs/api.md): inbound
/// messages by action, CALLERRORs the CSMS answered (by code and action) and the last one, and
/// the CSMS's processing time (average and p99). Station ids are never metric labels; this is
/// the per-station view.
struct StationStatsRoutes: Sendable {
    let store: any CSMSStore
    let clock: any WallClock

    static let defaultWindow = 86_400
    static let maxWindow = 7 * 86_400

    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/stats") { request, context in
            guard let segment = context.parameters.get("id"), let id = ChargePointID(pathSegment: segment) else {
                throw APIError(.invalidRequest, "invalid charge point id")
            }
            var window = Self.defaultWindow
            if let text = request.uri.queryParameters["window"] {
                guard let seconds = Int(String(text)), (1...Self.maxWindow).contains(seconds) else {
                    throw APIError(.invalidRequest, "window must be 1 to \(Self.maxWindow) seconds")
                }
                window = seconds
            }
            guard try await store.chargePoint(id) != nil else {
                throw APIError(.notFound, "charge point \(id.rawValue) is not registered")
            }
            let to = clock.now()
            let from = to.addingTimeInterval(-Double(window))
            var entries: [MessageLogEntry] = []
            var after: Int64?
            while true {
                let page = try await store.messageLog(chargePointId: id, action: nil, after: after, limit: 1000)
                entries += page.filter { $0.at >= from && $0.at <= to }
                guard page.count == 1000, let last = page.last?.id else { break }
                after = last
            }
            return JSONResponse.make(Self.stats(entries, window: window, from: from, to: to))
        }
    }

    /// The statistics of `entries` (pure, for tests).
    static func stats(_ entries: [MessageLogEntry], window: Int, from: Date, to: Date) -> JSONValue {
        var messages: [String: Int] = [:]
        var errorsByCode: [String: Int] = [:]
        var errorsByAction: [String: Int] = [:]
        var lastError: MessageLogEntry?
        var times: [Int] = []
        for entry in entries {
            switch entry.direction {
            case .inbound where entry.messageType == 2 || entry.messageType == 6:
                messages[entry.action ?? "unknown", default: 0] += 1
            case .outbound where entry.processingMicros != nil:
                times.append(entry.processingMicros ?? 0)
                if entry.messageType == 4 {
                    errorsByCode[entry.errorCode ?? "unknown", default: 0] += 1
                    errorsByAction[entry.action ?? "unknown", default: 0] += 1
                    lastError = entry
                }
            default:
                break
            }
        }
        times.sort()
        func counts(_ values: [String: Int]) -> JSONValue {
            .object(
                JSONObject(
                    uniqueMembers: values.sorted { $0.key < $1.key }.map {
                        (key: $0.key, value: .number(JSONNumber($0.value)))
                    }))
        }
        var handler: JSONObject = ["count": .number(JSONNumber(times.count))]
        if !times.isEmpty {
            handler["averageMicros"] = .number(JSONNumber(times.reduce(0, +) / times.count))
            handler["p99Micros"] = .number(JSONNumber(times[min(times.count - 1, (times.count * 99) / 100)]))
        }
        var body: JSONObject = [
            "windowSeconds": .number(JSONNumber(window)), "from": .string(OCPPDateTime(from).text),
            "to": .string(OCPPDateTime(to).text), "messages": counts(messages),
            "errors": [
                "total": .number(JSONNumber(errorsByCode.values.reduce(0, +))), "byCode": counts(errorsByCode),
                "byAction": counts(errorsByAction),
            ],
            "handlerTime": .object(handler),
        ]
        body["lastError"] =
            lastError.map { error in
                [
                    "at": .string(OCPPDateTime(error.at).text), "action": ChargePointView.text(error.action),
                    "messageId": .string(error.messageId), "code": ChargePointView.text(error.errorCode),
                ]
            } ?? .null
        return .object(body)
    }
}
