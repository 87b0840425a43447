import Testing

@testable import OCPP

@Suite("JSON parser and serializer")
struct JSONParserTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: text)
    }

    private func failure(_ text: String) -> JSONParseError.Kind? {
        do {
            _ = try JSONValue(parsing: text)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func parsesEveryValueKind() throws {
        let v = try parse(#" { "a" : [1, -2.5e3, true, false, null, "x\ny\u00e9\ud83d\ude00"], "b": {} } "#)
        #expect(v["a"] == [1, .number(JSONNumber(literal: "-2.5e3")!), true, false, nil, "x\ny\u{e9}😀"])
        #expect(v["b"] == .object(JSONObject()))
    }

    @Test func keepsNumberLiteralsAndMemberOrder() throws {
        let text = #"{"z":0.1,"a":12.50,"m":1E+2}"#
        let v = try parse(text)
        #expect(v.jsonText == text)
        #expect(v["a"] == .number(JSONNumber(12.5)))
        #expect(v["m"] == 100)
    }

    @Test func serializesEscapesAndUnicode() throws {
        let v: JSONValue = ["k": "quote\" back\\ nl\n tab\t ctl\u{01} é😀"]
        let text = v.jsonText
        #expect(text == #"{"k":"quote\" back\\ nl\n tab\t ctl\u0001 é😀"}"#)
        #expect(try parse(text) == v)
        // Escapes at the edges, only escapes, nothing.
        let edges: JSONValue = ["\"a": "\n", "b": "\u{1f}x\\", "c": ""]
        #expect(edges.jsonText == #"{"\"a":"\n","b":"\u001fx\\","c":""}"#)
        #expect(try parse(edges.jsonText) == edges)
    }

    @Test func canonicalTextSortsMembersByUTF8Bytes() throws {
        let v = try parse(#"{"é":1,"a":{"y":[{"q":1,"p":2}],"x":0},"B":true,"a2":null}"#)
        #expect(
            String(decoding: v.canonicalSerialized(), as: UTF8.self)
                == #"{"B":true,"a":{"x":0,"y":[{"p":2,"q":1}]},"a2":null,"é":1}"#)
        #expect(
            v.jsonText == #"{"é":1,"a":{"y":[{"q":1,"p":2}],"x":0},"B":true,"a2":null}"#, "plain text keeps the order")
    }

    @Test(arguments: [
        ("", JSONParseError.Kind.unexpectedEnd),
        ("[1,", .unexpectedEnd),
        ("[1 2]", .unexpectedByte),
        ("{\"a\" 1}", .unexpectedByte),
        ("[1,]", .unexpectedByte),
        ("{\"a\":1,}", .unexpectedByte),
        ("NaN", .invalidNumber),
        ("Infinity", .invalidNumber),
        ("[-Infinity]", .invalidNumber),
        ("01", .invalidNumber),
        ("1.", .invalidNumber),
        ("-", .invalidNumber),
        ("1e", .invalidNumber),
        ("+1", .unexpectedByte),
        ("tru", .unexpectedEnd),
        ("trux", .unexpectedByte),
        ("\"a\u{01}b\"", .invalidString),
        ("\"\\x\"", .invalidString),
        ("\"\\ud800\"", .invalidUTF8),
        ("\"\\udc00x\"", .invalidUTF8),
        ("\"abc", .unexpectedEnd),
        ("{\"a\":1,\"a\":2}", .duplicateKey),
        ("[] []", .trailingData),
        ("// comment\n1", .unexpectedByte),
    ])
    func refusesMalformedInput(text: String, kind: JSONParseError.Kind) {
        #expect(failure(text) == kind)
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]  // "\xC3(" : bad continuation byte
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: bytes) }
        let overlong: [UInt8] = [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D]
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: overlong) }
    }

    @Test func limitsNestingWithoutExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(failure(deep) == .tooDeep)
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(failure(ok) == nil)
        let objects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(failure(objects) == .tooDeep)
    }

    @Test func handlesTenMegabyteStrings() throws {
        let big = String(repeating: "x", count: 10 * 1024 * 1024)
        let v = try parse("[\"\(big)\"]")
        #expect(v.arrayValue?.first?.stringValue?.utf8.count == big.utf8.count)
        let escaped = String(repeating: "\\n", count: 1024 * 1024)
        #expect(try parse("\"\(escaped)\"").stringValue?.utf8.count == 1024 * 1024)
        // Unterminated: fails cleanly at the end.
        #expect(failure("\"" + big) == .unexpectedEnd)
    }

    @Test func duplicateDetectionStaysLinearForLargeObjects() throws {
        let members = (0..<50_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let v = try parse("{\(members)}")
        #expect(v.objectValue?.count == 50_000)
        #expect(failure("{\(members),\"k49999\":1}") == .duplicateKey)
    }

    @Test func errorsNeverContainTheInput() {
        let secret = "SECRET-PAYLOAD-TEXT"
        do {
            _ = try JSONValue(parsing: "{\"\(secret)\": \(secret)}")
            Issue.record("expected failure")
        } catch {
            #expect(!error.description.contains(secret))
            #expect(error.offset > 0)
        }
    }

    @Test func jsonEqualityIgnoresMemberOrderAndNumberSpelling() throws {
        #expect(try parse(#"{"a":1,"b":[1.0,2]}"#) == parse(#"{"b":[1,2.00],"a":1e0}"#))
        #expect(try parse(#"{"a":1}"#) != parse(#"{"a":1,"b":2}"#))
        #expect(try parse(#"[1,2]"#) != parse(#"[2,1]"#))
        #expect(try parse(#""1""#) != parse("1"))
    }
}

@Suite("JSON strings compare by code points")
struct CodePointEqualityTests {
    @Test func canonicallyEquivalentStringsAreDifferentJSON() throws {
        let kelvin = "\u{212A}"  // canonically equivalent to "K"
        #expect(JSONValue.string("K") != .string(kelvin))
        let object = try JSONValue(parsing: "{\"K\":1,\"\(kelvin)\":2}")
        #expect(object.objectValue?.count == 2)
        #expect(object["K"] == 1)
        #expect(object[kelvin] == 2)
        var context = DecodingContext()
        context.rejectUnknownKeys(["\(kelvin)ind": 1], ["Kind"])
        #expect(context.violations.map(\.kind) == [.unknownProperty])
    }

    @Test func duplicateDetectionUsesBytesInLargeObjects() throws {
        let kelvin = "\u{212A}"
        let many = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let object = try JSONValue(parsing: "{\(many),\"K\":1,\"\(kelvin)\":2}")
        #expect(object.objectValue?.count == 22)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "{\(many),\"K\":1,\"K\":2}") }
    }
}
