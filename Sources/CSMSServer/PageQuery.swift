import Hummingbird
import OCPP

/// Paging parameters shared by the list routes.
enum PageQuery {
    /// The most items one list page returns.
    static let maxPageSize = 1000
    /// The page size when `limit` is not given.
    static let defaultPageSize = 100

    /// The `limit` parameter: 1 to `maxPageSize`, default `defaultPageSize`.
    static func limit(_ text: String?) throws -> Int {
        guard let text else { return defaultPageSize }
        guard let value = Int(text), (1...maxPageSize).contains(value) else {
            throw APIError(.invalidRequest, "limit must be an integer from 1 to \(maxPageSize)")
        }
        return value
    }
}

extension PageQuery {
    /// The `cursor` parameter of the id-ordered lists: the last id of the previous page.
    static func cursor(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else { throw APIError(.invalidRequest, "invalid cursor") }
        return value
    }

    /// `{"items": [...], "nextCursor"}` for a page read with `limit + 1` rows: `nextCursor` is
    /// the last shown id when there is more, else `null`.
    static func response<Row>(_ page: [Row], limit: Int, id: (Row) -> Int64?, json: (Row) -> JSONValue) -> Response {
        let items = page.prefix(limit)
        var body = JSONObject()
        body["items"] = .array(items.map(json))
        body["nextCursor"] = page.count > limit ? items.last.flatMap(id).map { .string(String($0)) } ?? .null : .null
        return JSONResponse.make(.object(body))
    }
}
