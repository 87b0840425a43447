public import Foundation

/// An RFC 3339 `date-time` as OCPP carries it: the instant, plus the text it was read from
/// so that re-encoding reproduces the station's exact string (offset and precision).
///
/// Accepted syntax (RFC 3339 §5.6, letters case-insensitive):
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with the day checked against the month
/// (leap years included), hours 00–23, minutes and seconds 00–59. A timestamp without
/// an offset is refused: OCPP requires one.
public struct OCPPDateTime: Sendable, Hashable, CustomStringConvertible {
    /// The instant.
    public let date: Date
    /// The text form.
    public let text: String

    /// The instant `date`, written in UTC with millisecond precision
    /// (`2026-11-27T08:15:00.123Z`), the form this CSMS sends.
    public init(_ date: Date) {
        self.date = date
        text = OCPPDateTime.format(date)
    }

    /// Parses `text`; `nil` when it is not an RFC 3339 date-time.
    public init?(rfc3339 text: String) {
        guard let date = OCPPDateTime.parse(text) else { return nil }
        self.date = date
        self.text = text
    }

    /// The text form.
    public var description: String { text }

    /// Equal when the instants are equal.
    public static func == (a: OCPPDateTime, b: OCPPDateTime) -> Bool { a.date == b.date }

    /// Hashes the instant.
    public func hash(into hasher: inout Hasher) { hasher.combine(date) }

    static func parse(_ text: String) -> Date? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { parse(bytes: $0) }
            ?? {
                let copy = Array(text.utf8)
                return copy.withUnsafeBufferPointer { parse(bytes: $0) }
            }()
    }

    private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
        // Minimum: 2026-01-01T00:00:00Z (20 bytes).
        guard b.count >= 20 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        func byte(_ i: Int, _ c: Character) -> Bool { b[i] == c.asciiValue! }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
            let day = digits(8, 2), byte(10, "T") || byte(10, "t"), let hour = digits(11, 2), byte(13, ":"),
            let minute = digits(14, 2), byte(16, ":"), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), hour <= 23, minute <= 59, second <= 59 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1, day <= monthDays[month - 1] else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, byte(i, ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            guard b.count - i == 6, let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (byte(i, "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func format(_ date: Date) -> String {
        let totalMillis = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        let millis = ((totalMillis % 1000) + 1000) % 1000
        let totalSeconds = (totalMillis - millis) / 1000
        var days = totalSeconds / 86_400
        var secs = totalSeconds % 86_400
        if secs < 0 {
            secs += 86_400
            days -= 1
        }
        // Inverse of daysFromCivil.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):"
            + "\(pad(secs % 60, 2)).\(pad(millis, 3))Z"
    }
}
