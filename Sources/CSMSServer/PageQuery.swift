import Hummingbird

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
