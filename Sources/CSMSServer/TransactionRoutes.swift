import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// The operator API's transaction resources under `/api/v1/transactions` (docs/api.md).
struct TransactionRoutes: Sendable {
    let store: any CSMSStore

    /// The most items one list page returns.
    static let maxPageSize = 1000
    /// The page size when `limit` is not given.
    static let defaultPageSize = 100
    /// The most meter values one transaction detail carries.
    static let maxMeterValues = 100_000

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("transactions") { request, _ in try await list(request) }
        group.get("transactions/:id") { request, context in
            guard let id = context.parameters.get("id"), (1...64).contains(id.count) else {
                throw APIError(.invalidRequest, "invalid transaction id (1-64 characters)")
            }
            return try await detail(id, request)
        }
    }

    /// `GET /transactions?chargePointId=&status=Active|Completed&from=&to=&cursor=&limit=`:
    /// `{"items": [...], "nextCursor": string|null}`, newest first.
    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = TransactionQuery(limit: Self.defaultPageSize)
        if let text = query["limit"] {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                throw APIError(.invalidRequest, "limit must be an integer from 1 to \(Self.maxPageSize)")
            }
            filter.limit = value
        }
        filter.chargePointId = try query["chargePointId"].map { try Self.chargePointId(String($0)) }
        if let status = query["status"] {
            switch status {
            case "Active": filter.active = true
            case "Completed": filter.active = false
            default: throw APIError(.invalidRequest, "status must be Active or Completed")
            }
        }
        filter.startedFrom = try query["from"].map { try Self.date(String($0), "from") }
        filter.startedBefore = try query["to"].map { try Self.date(String($0), "to") }
        if let cursor = query["cursor"] {
            guard let sequence = Int64(cursor), sequence > 0 else { throw APIError(.invalidRequest, "invalid cursor") }
            filter.beforeSequence = sequence
        }
        let limit = filter.limit
        filter.limit = limit + 1
        let page = try await store.transactions(matching: filter)
        var items: [JSONValue] = []
        for transaction in page.prefix(limit) {
            let anomalies = try await store.transactionAnomalies(
                chargePointId: transaction.chargePointId, transactionId: transaction.transactionId)
            items.append(.object(TransactionView.item(transaction, anomalies: anomalies)))
        }
        var body = JSONObject()
        body["items"] = .array(items)
        body["nextCursor"] =
            page.count > limit ? page.prefix(limit).last.map { .string(String($0.sequence)) } ?? .null : .null
        return JSONResponse.make(.object(body))
    }

    /// `GET /transactions/{id}?chargePointId=&format=csv`: the transaction with its meter
    /// values, or the meter values as CSV. 404 when unknown; 409 when several stations use
    /// the id (2.x ids are per station) and `chargePointId` is not given.
    private func detail(_ id: String, _ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let station = try query["chargePointId"].map { try Self.chargePointId(String($0)) }
        let matches = try await store.transactions(withId: id).filter { t in
            station.map { t.chargePointId == $0 } ?? true
        }
        guard let transaction = matches.first else { throw APIError(.notFound, "no such transaction") }
        guard matches.count == 1 else {
            throw APIError(.conflict, "several charge points use this transaction id; add ?chargePointId=")
        }
        let samples = try await store.meterSamples(
            chargePointId: transaction.chargePointId, transactionId: transaction.transactionId,
            limit: Self.maxMeterValues)
        switch query["format"].map({ String($0) }) {
        case nil, "json":
            let anomalies = try await store.transactionAnomalies(
                chargePointId: transaction.chargePointId, transactionId: transaction.transactionId)
            var object = TransactionView.item(transaction, anomalies: anomalies)
            object["meterValues"] = .array(samples.map(TransactionView.sample))
            return JSONResponse.make(.object(object))
        case "csv":
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"transaction-\(Self.fileSafe(id)).csv\""
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: TransactionView.csv(samples))))
        default:
            throw APIError(.invalidRequest, "format must be json or csv")
        }
    }

    private static func chargePointId(_ text: String) throws -> ChargePointID {
        guard let id = ChargePointID(text) else { throw APIError(.invalidRequest, "invalid chargePointId") }
        return id
    }

    private static func date(_ text: String, _ name: String) throws -> Date {
        guard let date = OCPPDateTime(rfc3339: text)?.date else {
            throw APIError(.invalidRequest, "\(name) must be an RFC 3339 date-time")
        }
        return date
    }

    private static func fileSafe(_ id: String) -> String {
        String(id.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? Character($0) : "_" })
    }
}

/// JSON and CSV representations of transactions (docs/api.md).
enum TransactionView {
    /// A transaction as a list item (docs/api.md lists the members).
    static func item(_ t: Transaction, anomalies: [TransactionAnomaly]) -> JSONObject {
        var o = JSONObject()
        o["transactionId"] = .string(t.transactionId)
        o["chargePointId"] = .string(t.chargePointId.rawValue)
        if let evse = t.evseId { o["evseId"] = .number(JSONNumber(evse)) }
        o["connectorId"] = t.connectorId.map { .number(JSONNumber($0)) } ?? .null
        o["idToken"] = t.idToken.map { .string($0.id) } ?? .null
        o["authorizationStatus"] = t.authorizationStatus.map { .string($0.rawValue) } ?? .null
        o["status"] = .string(t.state.isActive ? "Active" : "Completed")
        o["state"] = .string(t.state.rawValue)
        o["startedAt"] = .string(OCPPDateTime(t.startedAt).text)
        if let stopped = t.stoppedAt { o["stoppedAt"] = .string(OCPPDateTime(stopped).text) }
        o["meterStart"] = t.meterStart.map(number) ?? .null
        if let stop = t.meterStop { o["meterStop"] = number(stop) }
        if let energy = t.energyWh { o["energyWh"] = number(energy) }
        if let reason = t.stopReason { o["stopReason"] = .string(reason) }
        o["offline"] = .bool(t.offline)
        o["seqNoGaps"] = .number(JSONNumber(t.seqNoGaps))
        if let id = t.remoteStartId { o["remoteStartId"] = .number(JSONNumber(id)) }
        if let id = t.reservationId { o["reservationId"] = .number(JSONNumber(id)) }
        o["anomalies"] = .array(anomalies.map(anomaly))
        return o
    }

    /// A JSON number; integral values without a fraction (meter readings are Wh).
    static func number(_ value: Double) -> JSONValue {
        if value == value.rounded(), abs(value) < 1e15 { return .number(JSONNumber(Int(value))) }
        return .number(JSONNumber(value))
    }

    /// `{"kind", "detail", "fromState"?, "toState"?, "messageId"?, "at"}`.
    static func anomaly(_ a: TransactionAnomaly) -> JSONValue {
        var o = JSONObject()
        o["kind"] = .string(a.kind)
        o["detail"] = .string(a.detail)
        if let from = a.fromState { o["fromState"] = .string(from) }
        if let to = a.toState { o["toState"] = .string(to) }
        if let id = a.messageId { o["messageId"] = .string(id) }
        o["at"] = .string(OCPPDateTime(a.at).text)
        return .object(o)
    }

    /// One meter value: `timestamp`, `value` and the optional fields that are set.
    static func sample(_ s: MeterSample) -> JSONValue {
        var o = JSONObject()
        o["timestamp"] = .string(OCPPDateTime(s.timestamp).text)
        o["value"] = .string(s.value)
        let optional: [(String, String?)] = [
            ("measurand", s.measurand), ("phase", s.phase), ("location", s.location), ("unit", s.unit),
            ("context", s.context), ("format", s.format), ("signedData", s.signedData),
        ]
        for (key, value) in optional { if let value { o[key] = .string(value) } }
        if let m = s.multiplier { o["multiplier"] = .number(JSONNumber(m)) }
        if let evse = s.evseId { o["evseId"] = .number(JSONNumber(evse)) }
        if let connector = s.connectorId { o["connectorId"] = .number(JSONNumber(connector)) }
        return .object(o)
    }

    /// The CSV columns, in order.
    static let csvColumns = [
        "timestamp", "measurand", "phase", "location", "unit", "multiplier", "context", "format", "value", "signedData",
    ]

    /// RFC 4180 CSV: a header line and one line per sample, CRLF line ends.
    static func csv(_ samples: [MeterSample]) -> String {
        var lines = [csvColumns.joined(separator: ",")]
        for s in samples {
            let fields: [String?] = [
                OCPPDateTime(s.timestamp).text, s.measurand, s.phase, s.location, s.unit, s.multiplier.map(String.init),
                s.context, s.format, s.value, s.signedData,
            ]
            lines.append(fields.map { escape($0 ?? "") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A field quoted when it holds a comma, quote, CR or LF; a leading `=`, `+`, `-` or `@`
    /// is prefixed with `'` so that spreadsheets do not run station input as a formula.
    static func escape(_ field: String) -> String {
        var text = field
        if let first = text.first, "=+-@".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
