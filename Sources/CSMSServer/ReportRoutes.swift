import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// The station reports kept by the station-initiated handlers (NotifyReport, NotifyEvent,
/// DataTransfer, ...; docs/commands.md): `GET /charge-points/{id}/reports` lists them and
/// `GET /charge-points/{id}/device-model` puts the pages of one NotifyReport together.
struct ReportRoutes: Sendable {
    let store: any CSMSStore

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/reports") { request, context in
            try await list(try CommandRoutes.chargePointId(context), request: request)
        }
        group.get("charge-points/:id/device-model") { request, context in
            try await deviceModel(try CommandRoutes.chargePointId(context), request: request)
        }
    }

    private func registered(_ id: ChargePointID) async throws {
        guard try await store.chargePoint(id) != nil else {
            throw APIError(.notFound, "charge point \(id.rawValue) is not registered")
        }
    }

    private static func integer(_ query: [Substring: Substring], _ name: String) throws -> Int? {
        guard let text = query[Substring(name)] else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw APIError(.invalidRequest, "\(name) must be a non-negative integer")
        }
        return value
    }

    /// `GET ?action=NotifyEvent&requestId=N&after=ID&limit=N`: reports by id; `next` is the
    /// `after` of the following page.
    private func list(_ id: ChargePointID, request: Request) async throws -> Response {
        let query = Dictionary(
            request.uri.queryParameters.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let limit = try Self.integer(query, "limit") ?? PageQuery.defaultPageSize
        guard (1...PageQuery.maxPageSize).contains(limit) else {
            throw APIError(.invalidRequest, "limit must be an integer from 1 to \(PageQuery.maxPageSize)")
        }
        let action = query["action"].map(String.init)
        if let action, !(1...64).contains(action.count) { throw APIError(.invalidRequest, "invalid action") }
        let requestId = try Self.integer(query, "requestId")
        let after = try Self.integer(query, "after").map(Int64.init)
        try await registered(id)
        let page = try await store.stationReports(
            of: id, action: action, requestId: requestId, after: after, limit: limit + 1)
        var body = JSONObject()
        body["items"] = .array(page.prefix(limit).map(Self.view))
        if page.count > limit, let last = page.prefix(limit).last?.id { body["next"] = .number(JSONNumber(Int(last))) }
        return JSONResponse.make(.object(body))
    }

    static func view(_ report: StationReport) -> JSONValue {
        var o = JSONObject()
        o["id"] = .number(JSONNumber(Int(report.id ?? 0)))
        o["action"] = .string(report.action)
        o["protocol"] = .string(report.protocolVersion)
        o["messageId"] = .string(report.messageId)
        o["requestId"] = report.requestId.map { .number(JSONNumber($0)) } ?? .null
        o["seqNo"] = report.seqNo.map { .number(JSONNumber($0)) } ?? .null
        o["tbc"] = .bool(report.tbc)
        o["receivedAt"] = .string(OCPPDateTime(report.receivedAt).text)
        o["payload"] = report.payload
        return .object(o)
    }

    /// The most NotifyReport pages put together.
    static let maxPages = 10_000

    /// `GET ?requestId=N`: the NotifyReport pages of request N (default: the latest request)
    /// in `seqNo` order, their `reportData` concatenated; `complete` once the pages 0...last
    /// are all there and the last has `tbc` false (2.0.1 Part 2 B07/B08: `seqNo` starts at 0,
    /// `tbc` marks that more pages follow).
    private func deviceModel(_ id: ChargePointID, request: Request) async throws -> Response {
        let query = Dictionary(
            request.uri.queryParameters.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let wanted = try Self.integer(query, "requestId")
        try await registered(id)
        var reports: [StationReport] = []
        var after: Int64?
        while reports.count < Self.maxPages {
            let page = try await store.stationReports(
                of: id, action: "NotifyReport", requestId: wanted, after: after, limit: 1000)
            reports += page
            guard page.count == 1000, let last = page.last?.id else { break }
            after = last
        }
        guard let requestId = wanted ?? reports.last?.requestId else {
            throw APIError(.notFound, "no NotifyReport received from \(id.rawValue)")
        }
        let pages = reports.filter { $0.requestId == requestId }.sorted { ($0.seqNo ?? 0) < ($1.seqNo ?? 0) }
        guard !pages.isEmpty else { throw APIError(.notFound, "no NotifyReport with requestId \(requestId)") }
        var data: [JSONValue] = []
        for page in pages { data += page.payload["reportData"]?.arrayValue ?? [] }
        let sequence = pages.compactMap(\.seqNo)
        let complete = pages.last?.tbc == false && sequence == Array(0..<pages.count)
        return JSONResponse.make([
            "requestId": .number(JSONNumber(requestId)), "complete": .bool(complete),
            "pages": .number(JSONNumber(pages.count)),
            "generatedAt": pages.last?.payload["generatedAt"] ?? .null, "reportData": .array(data),
        ])
    }
}
