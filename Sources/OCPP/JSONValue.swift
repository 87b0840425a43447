/// A JSON value as OCPP-J carries it.
///
/// Objects keep their members in document order (so an encoded value reads like the input)
/// and numbers keep their literal text (so `0.1` stays `0.1` and `12.50` is not rounded).
/// Equality is JSON equality: object member order does not matter and numbers compare by
/// value (`1.50 == 1.5`).
public enum JSONValue: Sendable {
    /// `null`
    case null
    /// `true` or `false`
    case bool(Bool)
    /// A number, kept as its literal text.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object whose member names are unique.
    case object(JSONObject)

    /// The JSON type name of this value, as JSON Schema spells it.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n.isIntegerLiteral ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The object, when this value is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The string, when this value is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The array, when this value is one.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Member `key` of an object value; `nil` for other values or a missing member.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

extension JSONValue: Equatable {
    /// JSON equality: member order is ignored, numbers compare by value.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a.isSameJSONString(as: b)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer number.
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object; later duplicates of a key replace earlier ones.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A number from a double, written in its shortest round-trip form.
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
}

/// A JSON object: unique member names in insertion order.
///
/// OCPP objects are small (rarely over 20 members), so lookup is a linear scan over a
/// contiguous array, which beats hashing at that size and keeps document order for free.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The members in order.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// An object from members whose keys the caller guarantees to be unique.
    public init(uniqueMembers: [(key: String, value: JSONValue)]) { members = uniqueMembers }

    /// An object from a literal; later duplicates replace earlier ones.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = []
        for (k, v) in elements { self[k] = v }
    }

    /// The number of members.
    public var count: Int { members.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The member names in order.
    public var keys: [String] { members.map(\.key) }

    /// Reads, replaces, appends or (with `nil`) removes member `key`.
    public subscript(key: String) -> JSONValue? {
        get {
            for m in members where m.key.isSameJSONString(as: key) { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key.isSameJSONString(as: key) }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Appends a member without checking for an existing one of the same name.
    /// Callers (generated encoders) guarantee uniqueness.
    public mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    /// Equal when both have the same member names with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for m in lhs.members {
            guard let other = rhs[m.key], other == m.value else { return false }
        }
        return true
    }
}

extension String {
    /// Code-point equality, as JSON compares strings. Swift's `==` compares by Unicode
    /// canonical equivalence (`"K"` equals the Kelvin sign `"\u{212A}"`), which would let a
    /// property name or enum value that the schema does not define pass as one it does.
    @inlinable
    public func isSameJSONString(as other: String) -> Bool {
        let count = utf8.count
        guard count == other.utf8.count else { return false }
        // Contiguous fast path (native and small strings); the generic view walk is several
        // times slower and this runs for every member lookup.
        let contiguous = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                for i in 0..<count where a[i] != b[i] { return false }
                return true
            }
        }
        if let contiguous, let result = contiguous { return result }
        return utf8.elementsEqual(other.utf8)
    }
}

extension [String] {
    /// Whether `key` is an element, by code-point equality.
    @inlinable
    func containsJSONString(_ key: String) -> Bool {
        contains { $0.isSameJSONString(as: key) }
    }
}

/// A string hashed and compared by its UTF-8 bytes (code points), for sets of JSON member names.
struct JSONKey: Hashable {
    let text: String
    static func == (a: JSONKey, b: JSONKey) -> Bool { a.text.isSameJSONString(as: b.text) }
    func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
    }
}
