extension JSONValue {
    /// The compact UTF-8 JSON text of this value: members in order, numbers as their
    /// literals, non-ASCII text as UTF-8, and only `"`, `\` and control characters escaped.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONSerializer.write(self, into: &out)
        return out
    }

    /// The compact JSON text of this value as a string.
    public var jsonText: String { String(decoding: serialized(), as: UTF8.self) }

    /// `serialized()` with every object's members sorted by name (UTF-8 byte order), so that
    /// member order does not change the bytes (the idempotency digest). Written directly, with
    /// no sorted copy of the value.
    public func canonicalSerialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONSerializer.write(self, into: &out, sortingMembers: true)
        return out
    }
}

/// Writes JSON values into a byte buffer.
enum JSONSerializer {
    static func write(_ value: JSONValue, into out: inout [UInt8], sortingMembers: Bool = false) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.literal.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, sortingMembers: sortingMembers)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let members = object.members
            if sortingMembers, let order = sortedOrder(members) {
                for (i, index) in order.enumerated() {
                    writeMember(members[index], first: i == 0, into: &out, sortingMembers: true)
                }
            } else {
                for (i, member) in members.enumerated() {
                    writeMember(member, first: i == 0, into: &out, sortingMembers: sortingMembers)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeMember(
        _ member: (key: String, value: JSONValue), first: Bool, into out: inout [UInt8], sortingMembers: Bool
    ) {
        if !first { out.append(UInt8(ascii: ",")) }
        writeString(member.key, into: &out)
        out.append(UInt8(ascii: ":"))
        write(member.value, into: &out, sortingMembers: sortingMembers)
    }

    /// The member indices in name order (UTF-8 byte order), or `nil` when the members are in
    /// that order already (most objects: no sorting, no copy of the members).
    private static func sortedOrder(_ members: [(key: String, value: JSONValue)]) -> [Int]? {
        func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        var sorted = true
        for i in members.indices.dropFirst() where !precedes(members[i - 1].key, members[i].key) {
            sorted = false
            break
        }
        if sorted { return nil }
        return members.indices.sorted { precedes(members[$0].key, members[$1].key) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Runs of bytes that need no escape are appended at once.
            var start = 0
            for (i, c) in bytes.enumerated() where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                writeEscaped(c, into: &out)
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ c: UInt8, into out: inout [UInt8]) {
        switch c {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        default: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
        }
    }
}
