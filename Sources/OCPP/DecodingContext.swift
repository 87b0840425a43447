/// The state of one decode-and-validate pass: the path to the value being decoded and the
/// violations found so far. Generated `decode(_:_:)` functions call its checkers, one per
/// schema keyword family, so that all constraint logic lives here once.
public struct DecodingContext: Sendable {
    /// Every violation found so far, in document order.
    public private(set) var violations: [Violation] = []
    @usableFromInline var path: [PathComponent] = []

    @usableFromInline
    enum PathComponent: Sendable {
        case key(String)
        case index(Int)
    }

    /// Whether constraint keywords (lengths, ranges, multiples, item counts, unknown
    /// properties) are checked. Types, required members, enums and date-time syntax are
    /// always checked because the typed value cannot be built without them. Turning this off
    /// gives plain decoding, the baseline the benchmarks measure validation against.
    public let checksConstraints: Bool

    /// An empty context at the payload root.
    public init(checksConstraints: Bool = true) {
        self.checksConstraints = checksConstraints
    }

    /// Records a violation at the current path (plus `key`, when given).
    @usableFromInline
    mutating func fail(_ kind: Violation.Kind, key: String? = nil) {
        var pointer = ""
        for component in path {
            switch component {
            case .key(let k): pointer += "/" + DecodingContext.escape(k)
            case .index(let i): pointer += "/\(i)"
            }
        }
        if let key { pointer += "/" + DecodingContext.escape(key) }
        violations.append(Violation(path: pointer, kind: kind))
    }

    /// RFC 6901 escaping, plus a cap on length and on non-printable characters so that an
    /// attacker-chosen property name cannot grow an error description or smuggle control text.
    static func escape(_ key: String) -> String {
        var out = ""
        var n = 0
        for scalar in key.unicodeScalars {
            if n == 40 {
                out += "…"
                break
            }
            switch scalar {
            case "~": out += "~0"
            case "/": out += "~1"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
            n += 1
        }
        return out
    }

    // MARK: Objects

    /// The object `value`, or `nil` after recording that it is not one (`payloadNotObject`
    /// at the root, `wrongType` below it).
    @inlinable
    public mutating func object(_ value: JSONValue) -> JSONObject? {
        if case .object(let o) = value { return o }
        fail(path.isEmpty ? .payloadNotObject : .wrongType(expected: "object"))
        return nil
    }

    /// Decodes member `key` of `object` with `decode`; records `missingRequired` when a
    /// required member is absent. The path includes `key` while `decode` runs.
    @inlinable
    public mutating func field<T>(
        _ object: JSONObject, _ key: String, required: Bool,
        _ decode: (inout DecodingContext, JSONValue) -> T?
    ) -> T? {
        guard let value = object[key] else {
            if required { fail(.missingRequired, key: key) }
            return nil
        }
        path.append(.key(key))
        defer { path.removeLast() }
        return decode(&self, value)
    }

    /// Records `unknownProperty` for every member of `object` not named in `allowed`
    /// (`additionalProperties: false`).
    @inlinable
    public mutating func rejectUnknownKeys(_ object: JSONObject, _ allowed: [String]) {
        guard checksConstraints else { return }
        for member in object.members where !allowed.containsJSONString(member.key) {
            fail(.unknownProperty, key: member.key)
        }
    }

    /// The members of `object` not named in `known`, kept so that objects which allow
    /// additional properties (e.g. `customData`) round-trip unchanged.
    public func additionalMembers(_ object: JSONObject, excluding known: [String]) -> JSONObject {
        JSONObject(uniqueMembers: object.members.filter { !known.containsJSONString($0.key) })
    }

    // MARK: Scalars

    /// A string within `minLength`/`maxLength` (counted in Unicode code points, as JSON
    /// Schema counts characters).
    @inlinable
    public mutating func string(_ value: JSONValue, minLength: Int? = nil, maxLength: Int? = nil) -> String? {
        guard case .string(let s) = value else {
            fail(.wrongType(expected: "string"))
            return nil
        }
        guard checksConstraints else { return s }
        if let maxLength, s.utf8.count > maxLength, s.unicodeScalars.count > maxLength {
            fail(.tooLong(maxLength: maxLength))
            return nil
        }
        if let minLength, s.unicodeScalars.count < minLength {
            fail(.tooShort(minLength: minLength))
            return nil
        }
        return s
    }

    /// A string in RFC 3339 `date-time` format.
    @inlinable
    public mutating func dateTime(_ value: JSONValue) -> OCPPDateTime? {
        guard case .string(let s) = value else {
            fail(.wrongType(expected: "string"))
            return nil
        }
        guard let t = OCPPDateTime(rfc3339: s) else {
            fail(.invalidDateTime)
            return nil
        }
        return t
    }

    /// A member of the string enumeration `E`.
    @inlinable
    public mutating func enumeration<E: OCPPEnum>(_ value: JSONValue, _ type: E.Type) -> E? {
        guard case .string(let s) = value else {
            fail(.wrongType(expected: "string"))
            return nil
        }
        guard let e = E(rawValue: s), e.rawValue.isSameJSONString(as: s) else {
            fail(.notInEnum)
            return nil
        }
        return e
    }

    /// A boolean.
    @inlinable
    public mutating func boolean(_ value: JSONValue) -> Bool? {
        guard case .bool(let b) = value else {
            fail(.wrongType(expected: "boolean"))
            return nil
        }
        return b
    }

    /// An integer within `minimum`/`maximum`. `allowsIntegralFraction` follows the schema's
    /// draft: draft-04 accepts only literals without fraction or exponent, draft-06 and later
    /// accept any number whose value is integral (`2.0`).
    @inlinable
    public mutating func integer(
        _ value: JSONValue, minimum: Double? = nil, maximum: Double? = nil, allowsIntegralFraction: Bool
    ) -> Int? {
        guard case .number(let n) = value, n.isIntegerLiteral || (allowsIntegralFraction && n.isIntegral) else {
            fail(.wrongType(expected: "integer"))
            return nil
        }
        guard let i = n.integralValue else {
            fail(n.literal.hasPrefix("-") ? .belowMinimum(Double(Int.min)) : .aboveMaximum(Double(Int.max)))
            return nil
        }
        guard checksConstraints else { return i }
        if let minimum, Double(i) < minimum {
            fail(.belowMinimum(minimum))
            return nil
        }
        if let maximum, Double(i) > maximum {
            fail(.aboveMaximum(maximum))
            return nil
        }
        return i
    }

    /// A number within `minimum`/`maximum` and a multiple of `multipleOf` (checked in exact
    /// decimal arithmetic on the literal).
    @inlinable
    public mutating func number(
        _ value: JSONValue, minimum: Double? = nil, maximum: Double? = nil, multipleOf: Double? = nil
    ) -> Double? {
        guard case .number(let n) = value else {
            fail(.wrongType(expected: "number"))
            return nil
        }
        let d = n.doubleValue
        guard d.isFinite else {
            fail(d < 0 ? .belowMinimum(-.greatestFiniteMagnitude) : .aboveMaximum(.greatestFiniteMagnitude))
            return nil
        }
        guard checksConstraints else { return d }
        if let minimum, d < minimum {
            fail(.belowMinimum(minimum))
            return nil
        }
        if let maximum, d > maximum {
            fail(.aboveMaximum(maximum))
            return nil
        }
        if let multipleOf, !n.isMultiple(of: multipleOf) {
            fail(.notMultipleOf(multipleOf))
            return nil
        }
        return d
    }

    /// Any JSON value (a schema property without a type, e.g. 2.0.1 DataTransfer `data`).
    @inlinable
    public func any(_ value: JSONValue) -> JSONValue? { value }

    // MARK: Arrays

    /// An array within `minItems`/`maxItems` whose elements all decode with `element`.
    @inlinable
    public mutating func array<T>(
        _ value: JSONValue, minItems: Int? = nil, maxItems: Int? = nil,
        _ element: (inout DecodingContext, JSONValue) -> T?
    ) -> [T]? {
        guard case .array(let items) = value else {
            fail(.wrongType(expected: "array"))
            return nil
        }
        var ok = true
        if checksConstraints, let minItems, items.count < minItems {
            fail(.tooFewItems(minItems: minItems))
            ok = false
        }
        if checksConstraints, let maxItems, items.count > maxItems {
            fail(.tooManyItems(maxItems: maxItems))
            ok = false
        }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            path.append(.index(i))
            if let e = element(&self, item) { result.append(e) } else { ok = false }
            path.removeLast()
        }
        return ok ? result : nil
    }
}
