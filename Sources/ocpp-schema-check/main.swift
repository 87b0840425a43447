// ocpp-schema-check: runs the OCPP schema validator over a differential-test corpus.
//
// Usage: ocpp-schema-check CORPUS.jsonl > RESULTS.jsonl
//
// Each corpus line is `{"id", "version", "action", "kind", "payload", ...}` (written by
// Tools/conformance/corpus.py). For each, the payload type is looked up in the version's
// action registry and validated; a payload found valid is also decoded to its typed value,
// re-encoded and compared with the input (JSON equality, strings compared code point by code
// point). One result line per input line:
// `{"id", "valid", "class", "errorCode", "roundTrip", "violations"}` (plus `"error"` when the
// line could not be checked, and `"reencoded"` when a round trip changed the payload).
// Tools/conformance/differential.py compares the results with the corpus.

import Foundation
import OCPP
import OCPP16
import OCPP201
import OCPP21

/// Output buffered and written in large chunks.
struct Output {
    private var buffer: [UInt8] = []

    mutating func write(_ value: JSONValue) {
        buffer.append(contentsOf: value.serialized())
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The version and registry for a corpus `version` string.
func registry(for version: String) -> (OCPPVersion, ActionRegistry)? {
    switch version {
    case "1.6": (.v16, ActionRegistry.ocpp16)
    case "2.0.1": (.v201, ActionRegistry.ocpp201)
    case "2.1": (.v21, ActionRegistry.ocpp21)
    default: nil
    }
}

/// The error class as the corpus spells it.
func className(_ errorClass: Violation.ErrorClass) -> String {
    switch errorClass {
    case .formation: "formation"
    case .type: "type"
    case .occurrence: "occurrence"
    case .property: "property"
    }
}

/// JSON equality with strings and member names compared code point by code point, as JSON
/// (RFC 8259 §8.3) and JSON Schema compare them. `JSONValue ==` uses Swift's `String ==`,
/// which treats canonically equivalent strings (`"\u{212A}"` KELVIN SIGN and `"K"`) as equal
/// and so could hide a round trip that changed the text.
func strictlyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(strictlyEqual)
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for member in x.members {
            guard
                let other = y.members.first(where: { $0.key.unicodeScalars.elementsEqual(member.key.unicodeScalars) }),
                strictlyEqual(member.value, other.value)
            else { return false }
        }
        return true
    default: return false
    }
}

/// Checks one corpus line and returns its result object.
func check(line: ArraySlice<UInt8>) -> JSONValue {
    let record: JSONValue
    do {
        // The payload sits one level below the corpus record.
        record = try JSONValue(parsing: line, maxDepth: JSONValue.defaultMaxDepth + 1)
    } catch {
        return ["id": nil, "error": .string("corpus line is not JSON: \(error)")]
    }
    let id = record["id"] ?? .null
    func failure(_ message: String) -> JSONValue { ["id": id, "error": .string(message)] }
    guard let versionText = record["version"]?.stringValue, let (version, actions) = registry(for: versionText) else {
        return failure("unknown version")
    }
    guard let action = record["action"]?.stringValue, let descriptor = actions[action] else {
        return failure("action not in the \(versionText) registry")
    }
    let payloadType: PayloadType
    switch record["kind"]?.stringValue {
    case "request": payloadType = descriptor.request
    case "response":
        guard let response = descriptor.response else { return failure("action has no response type") }
        payloadType = response
    default: return failure("unknown kind")
    }
    guard let payload = record["payload"] else { return failure("no payload") }

    let violations = payloadType.violations(of: payload)
    var result: JSONObject = ["id": id]
    result["valid"] = .bool(violations.isEmpty)
    result["violations"] = .array(violations.map { .string($0.description) })
    if violations.isEmpty {
        result["class"] = .null
        result["errorCode"] = .null
        do {
            let reencoded = try payloadType.decode(payload).encode()
            let same = strictlyEqual(reencoded, payload)
            result["roundTrip"] = .bool(same)
            if !same { result["reencoded"] = reencoded }
        } catch {
            result["roundTrip"] = .bool(false)
            result["error"] = .string("decode failed after violations(of:) found none: \(error)")
        }
    } else {
        let failure = ValidationFailure(violations)
        result["class"] = .string(className(failure.errorClass))
        result["errorCode"] = .string(failure.errorCode(for: version).rawValue)
        result["roundTrip"] = .null
    }
    return .object(result)
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: ocpp-schema-check CORPUS.jsonl\n".utf8))
    exit(2)
}
guard let data = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("ocpp-schema-check: cannot read \(arguments[1])\n".utf8))
    exit(2)
}
let bytes = [UInt8](data)
var output = Output()
var start = bytes.startIndex
while start < bytes.endIndex {
    let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    if end > start { output.write(check(line: bytes[start..<end])) }
    start = end + 1
}
output.flush()
