/// A JSON number kept as its literal text, so that no precision is lost between a station's
/// message and what the CSMS stores or sends back.
///
/// Two numbers are equal when their decimal values are equal (`1.50 == 1.5`, `1e2 == 100`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal as it appears in JSON (always valid JSON number syntax).
    public let literal: String

    /// A number from text the caller guarantees to be valid JSON number syntax
    /// (the parser has checked it).
    init(uncheckedLiteral: String) { literal = uncheckedLiteral }

    /// A number from text; `nil` when the text is not JSON number syntax
    /// (`NaN`, `Infinity`, `+1`, `01`, `1.` are all refused).
    public init?(literal: String) {
        guard JSONNumber.isValidSyntax(Array(literal.utf8)) else { return nil }
        self.literal = literal
    }

    /// An integer.
    public init(_ value: Int) { literal = String(value) }

    /// A double in its shortest round-trip form (`0.1` stays `0.1`).
    /// Non-finite values have no JSON form and become `0`; callers that can produce them
    /// must check first (decoded OCPP payloads never hold them).
    public init(_ value: Double) {
        literal = value.isFinite ? value.description : "0"
    }

    /// The text of the number.
    public var description: String { literal }

    /// Whether the literal has neither a fraction nor an exponent (`12`, `-3`).
    public var isIntegerLiteral: Bool {
        !literal.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The nearest double.
    public var doubleValue: Double { Double(literal) ?? .nan }

    /// The value as an `Int` when it is integral and fits (`3`, `3.0`, `3e0`); otherwise `nil`.
    public var integralValue: Int? {
        if isIntegerLiteral { return Int(literal) }
        let d = decimal
        guard d.exponent >= 0 else { return nil }
        if d.digits.isEmpty { return 0 }
        guard d.exponent <= 18, let base = Int(d.digits) else { return nil }
        var value = base
        for _ in 0..<d.exponent {
            let (r, o) = value.multipliedReportingOverflow(by: 10)
            if o { return nil }
            value = r
        }
        return d.negative ? -value : value
    }

    /// Whether the value has no fractional part (`2`, `2.0`, `2e3`).
    public var isIntegral: Bool {
        isIntegerLiteral || decimal.exponent >= 0
    }

    /// The value as sign, significant digits (no leading or trailing zeros) and a power-of-ten
    /// exponent: value = (negative ? -1 : 1) × digits × 10^exponent. Zero has empty digits.
    var decimal: (negative: Bool, digits: Substring, exponent: Int) {
        let bytes = Array(literal.utf8)
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var digits: [UInt8] = []
        var exponent = 0
        var seenPoint = false
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ".") {
                seenPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                exponent += Int(String(decoding: bytes[(i + 1)...], as: UTF8.self).replacingPlus()) ?? 0
                break
            } else {
                digits.append(c)
                if seenPoint { exponent -= 1 }
            }
            i += 1
        }
        while let f = digits.first, f == UInt8(ascii: "0") { digits.removeFirst() }
        while let l = digits.last, l == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty { return (false, "", 0) }
        return (negative, Substring(String(decoding: digits, as: UTF8.self)), exponent)
    }

    /// Decimal equality.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.literal == rhs.literal { return true }
        let a = lhs.decimal
        let b = rhs.decimal
        return a.negative == b.negative && a.digits == b.digits && a.exponent == b.exponent
    }

    /// Hashes the normalized decimal value, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        let d = decimal
        hasher.combine(d.negative)
        hasher.combine(d.digits)
        hasher.combine(d.exponent)
    }

    /// Whether this number is an integer multiple of `divisor`, computed exactly in decimal
    /// (so `0.3` is a multiple of `0.1`, unlike in binary floating point).
    public func isMultiple(of divisor: Double) -> Bool {
        isMultiple(of: JSONNumber(divisor))
    }

    /// Exact decimal multiple-of test; falls back to floating point only when the operands
    /// have more than 38 significant digits combined with their exponents.
    public func isMultiple(of divisor: JSONNumber) -> Bool {
        let x = decimal
        let m = divisor.decimal
        if x.digits.isEmpty { return true }
        if m.digits.isEmpty { return false }
        let e = min(x.exponent, m.exponent)
        if let xs = UInt128(x.digits), let ms = UInt128(m.digits),
            let xv = scale(xs, by: x.exponent - e), let mv = scale(ms, by: m.exponent - e)
        {
            return xv % mv == 0
        }
        let q = doubleValue / divisor.doubleValue
        return q.rounded() == q
    }

    private func scale(_ v: UInt128, by power: Int) -> UInt128? {
        guard power <= 38 else { return nil }
        var r = v
        for _ in 0..<power {
            let (p, o) = r.multipliedReportingOverflow(by: 10)
            if o { return nil }
            r = p
        }
        return r
    }

    /// Checks RFC 8259 number syntax: `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    static func isValidSyntax(_ b: some Collection<UInt8>) -> Bool {
        var it = Array(b)[...]
        func digit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
        if it.first == UInt8(ascii: "-") { it = it.dropFirst() }
        guard let f = it.first, digit(f) else { return false }
        if f == UInt8(ascii: "0") {
            it = it.dropFirst()
        } else {
            while digit(it.first) { it = it.dropFirst() }
        }
        if it.first == UInt8(ascii: ".") {
            it = it.dropFirst()
            guard digit(it.first) else { return false }
            while digit(it.first) { it = it.dropFirst() }
        }
        if it.first == UInt8(ascii: "e") || it.first == UInt8(ascii: "E") {
            it = it.dropFirst()
            if it.first == UInt8(ascii: "+") || it.first == UInt8(ascii: "-") { it = it.dropFirst() }
            guard digit(it.first) else { return false }
            while digit(it.first) { it = it.dropFirst() }
        }
        return it.isEmpty
    }
}

extension String {
    fileprivate func replacingPlus() -> String {
        first == "+" ? String(dropFirst()) : self
    }
}
