import Foundation

// Every date column holds Unix time in milliseconds as an INTEGER (docs/storage.md).
extension Date {
    /// Unix time in milliseconds, rounded to the nearest.
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The date of a Unix time in milliseconds.
    init(unixMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(unixMilliseconds) / 1000) }
}
