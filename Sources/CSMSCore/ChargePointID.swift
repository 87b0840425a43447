/// The identity of a charge point: the last path segment of its WebSocket URL, percent-decoded.
///
/// Rules (OCPP 2.0.1 Part 4 §3.1.1 and the `identifierString` datatype of Part 2): 1 to 48
/// characters from `a-z A-Z 0-9 * - _ = : + | @ .`. The same rule is applied to 1.6 stations,
/// whose specification sets none, so that an id is always safe in URLs, logs and Basic auth.
/// Ids compare exactly (case-sensitive); operators should not register ids that differ only in case.
public struct ChargePointID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The id text.
    public let rawValue: String

    /// The longest id accepted.
    public static let maxLength = 48

    /// An id, or `nil` when `rawValue` is empty, longer than 48 characters or uses a
    /// character outside the allowed set.
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= ChargePointID.maxLength,
            rawValue.utf8.allSatisfy(ChargePointID.isAllowed)
        else { return nil }
        self.rawValue = rawValue
    }

    /// The id from a URL path segment: percent-decoding first, then the rules of `init(_:)`.
    public init?(pathSegment: String) {
        guard let decoded = pathSegment.removingPercentEncodingStrict() else { return nil }
        self.init(decoded)
    }

    private static func isAllowed(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "="), UInt8(ascii: ":"),
            UInt8(ascii: "+"), UInt8(ascii: "|"), UInt8(ascii: "@"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// The id text.
    public var description: String { rawValue }

    /// Orders by id text.
    public static func < (a: ChargePointID, b: ChargePointID) -> Bool { a.rawValue < b.rawValue }

    /// Decodes from a JSON string, applying the id rules.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ChargePointID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid charge point id"))
        }
        self = id
    }

    /// Encodes as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

extension String {
    /// Percent-decoding that fails on malformed escapes and on bytes that are not UTF-8.
    fileprivate func removingPercentEncodingStrict() -> String? {
        var out: [UInt8] = []
        var it = Array(utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else {
                    return nil
                }
                out.append(hv << 4 | lv)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
