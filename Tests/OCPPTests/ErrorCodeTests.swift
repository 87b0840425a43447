import Testing

@testable import OCPP

@Suite("Error codes and validation mapping")
struct ErrorCodeTests {
    @Test func versionsDefineTheirOwnCodes() {
        #expect(OCPPErrorCode.defined(in: .v16).count == 10)
        #expect(OCPPErrorCode.defined(in: .v201).count == 12)
        #expect(OCPPErrorCode.occurenceConstraintViolation.isDefined(in: .v16))
        #expect(!OCPPErrorCode.occurrenceConstraintViolation.isDefined(in: .v16))
        #expect(OCPPErrorCode.occurrenceConstraintViolation.isDefined(in: .v21))
        #expect(!OCPPErrorCode.rpcFrameworkError.isDefined(in: .v16))
        #expect(!OCPPErrorCode.formatViolation.isDefined(in: .v16))
        #expect(!OCPPErrorCode.formationViolation.isDefined(in: .v201))
        #expect(OCPPErrorCode.occurenceConstraintViolation.rawValue == "OccurenceConstraintViolation")
    }

    @Test(arguments: [
        (Violation.Kind.payloadNotObject, OCPPVersion.v16, "FormationViolation"),
        (.unknownProperty, .v201, "FormatViolation"),
        (.wrongType(expected: "string"), .v16, "TypeConstraintViolation"),
        (.missingRequired, .v16, "OccurenceConstraintViolation"),
        (.missingRequired, .v20, "OccurrenceConstraintViolation"),
        (.tooFewItems(minItems: 1), .v21, "OccurrenceConstraintViolation"),
        (.notInEnum, .v16, "PropertyConstraintViolation"),
        (.tooLong(maxLength: 20), .v201, "PropertyConstraintViolation"),
        (.invalidDateTime, .v21, "PropertyConstraintViolation"),
        (.notMultipleOf(0.1), .v16, "PropertyConstraintViolation"),
    ])
    func eachViolationMapsToTheVersionsCode(kind: Violation.Kind, version: OCPPVersion, code: String) {
        let failure = ValidationFailure([Violation(path: "/x", kind: kind)])
        #expect(failure.errorCode(for: version).rawValue == code)
        #expect(failure.errorCode(for: version).isDefined(in: version.family))
    }

    @Test func theMostStructuralViolationDecides() {
        let failure = ValidationFailure([
            Violation(path: "/a", kind: .notInEnum),
            Violation(path: "/b", kind: .missingRequired),
            Violation(path: "/c", kind: .wrongType(expected: "integer")),
        ])
        #expect(failure.errorCode(for: .v201) == .typeConstraintViolation)
        let withUnknown = ValidationFailure(failure.violations + [Violation(path: "/d", kind: .unknownProperty)])
        #expect(withUnknown.errorCode(for: .v16) == .formationViolation)
    }

    @Test func failureDescriptionIsBoundedAndListsPaths() {
        let many = (0..<200).map { Violation(path: "/field\($0)/with/a/long/path", kind: .missingRequired) }
        let failure = ValidationFailure(many)
        #expect(failure.description.count <= 255)
        #expect(failure.description.contains("/field0/with/a/long/path: required property missing"))
    }

    @Test func versionsAndSubprotocols() {
        #expect(OCPPVersion(subprotocol: "ocpp2.0.1") == .v201)
        #expect(OCPPVersion(subprotocol: "ocpp2.0")?.family == .v201)
        #expect(OCPPVersion(subprotocol: "ocpp1.5") == nil)
        #expect(OCPPVersion.v21.description == "2.1")
    }

    @Test func contextReportsPointersAndSanitizesHostileKeys() {
        var context = DecodingContext()
        let object: JSONObject = ["ok": "x", "bad/key~\u{01}": 1, String(repeating: "k", count: 500): 2]
        context.rejectUnknownKeys(object, ["ok"])
        #expect(context.violations.map(\.path) == ["/bad~1key~0?", "/" + String(repeating: "k", count: 40) + "…"])
        var nested = DecodingContext()
        let value: JSONValue = ["list": [["n": "1"], ["n": 2]]]
        let list = nested.field(value.objectValue!, "list", required: true) { c, v in
            c.array(v, minItems: 3) { c, item in
                c.field(item.objectValue!, "n", required: true) { $0.integer($1, allowsIntegralFraction: true) }
            }
        }
        #expect(list == nil)
        #expect(
            nested.violations == [
                Violation(path: "/list", kind: .tooFewItems(minItems: 3)),
                Violation(path: "/list/0/n", kind: .wrongType(expected: "integer")),
            ])
    }

    @Test func stringLengthsCountCodePoints() {
        var context = DecodingContext()
        #expect(context.string("ééééé", maxLength: 5) == "ééééé")
        #expect(context.string("éééééé", maxLength: 5) == nil)
        #expect(context.string("ab", minLength: 3) == nil)
        #expect(context.violations.map(\.kind) == [.tooLong(maxLength: 5), .tooShort(minLength: 3)])
    }

    @Test func integerDraftRules() {
        var context = DecodingContext()
        let two: JSONValue = .number(JSONNumber(literal: "2.0")!)
        #expect(context.integer(two, allowsIntegralFraction: true) == 2)
        #expect(context.integer(two, allowsIntegralFraction: false) == nil)
        #expect(context.integer(5, minimum: 6, allowsIntegralFraction: true) == nil)
        #expect(context.integer(.number(JSONNumber(literal: "1e30")!), allowsIntegralFraction: true) == nil)
        #expect(context.number(.number(JSONNumber(literal: "1e400")!)) == nil)
        #expect(context.number(.number(JSONNumber(literal: "0.3")!), multipleOf: 0.1) == 0.3)
        #expect(context.violations.count == 4)
    }

    @Test func plainDecodingSkipsOnlyConstraintKeywords() {
        var plain = DecodingContext(checksConstraints: false)
        #expect(plain.string("toolong", maxLength: 3) == "toolong")
        #expect(plain.integer(99, maximum: 10, allowsIntegralFraction: true) == 99)
        #expect(plain.array([1, 2, 3], maxItems: 1) { $0.integer($1, allowsIntegralFraction: true) } == [1, 2, 3])
        plain.rejectUnknownKeys(["x": 1], [])
        #expect(plain.violations.isEmpty)
        // Types are still checked: a typed value cannot be built otherwise.
        #expect(plain.string(5) == nil)
        #expect(plain.violations.count == 1)
    }
}
