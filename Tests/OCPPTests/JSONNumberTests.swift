import Foundation
import Testing

@testable import OCPP

@Suite("JSON numbers and date-times")
struct JSONNumberTests {
    @Test func doublesUseShortestRoundTripForm() {
        #expect(JSONNumber(0.1).literal == "0.1")
        #expect(JSONNumber(12.5).literal == "12.5")
        #expect(JSONNumber(230.4).literal == "230.4")
        #expect(JSONNumber(Double.nan).literal == "0")
        #expect(JSONNumber(literal: JSONNumber(1e-7).literal) != nil)
    }

    @Test(arguments: [
        ("0.3", "0.1", true), ("0.35", "0.1", false), ("12.34", "0.01", true), ("5", "0.5", true),
        ("-0.7", "0.1", true), ("1e2", "25", true), ("7", "2", false), ("0", "0.1", true),
        ("123456789012345678901234567890", "10", true), ("1.00000000000000000001", "0.1", false),
    ])
    func multipleOfIsExactDecimal(value: String, divisor: String, expected: Bool) {
        #expect(JSONNumber(literal: value)!.isMultiple(of: JSONNumber(literal: divisor)!) == expected)
    }

    @Test func integralValues() {
        #expect(JSONNumber(literal: "42")?.integralValue == 42)
        #expect(JSONNumber(literal: "-3.0")?.integralValue == -3)
        #expect(JSONNumber(literal: "2e3")?.integralValue == 2000)
        #expect(JSONNumber(literal: "2.5")?.integralValue == nil)
        #expect(JSONNumber(literal: "1e30")?.integralValue == nil)
        #expect(JSONNumber(literal: "2.0")?.isIntegerLiteral == false)
        #expect(JSONNumber(literal: "2.0")?.isIntegral == true)
    }

    @Test func syntaxCheck() {
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "NaN", "Infinity", "0x10", "1_000"] {
            #expect(JSONNumber(literal: bad) == nil, "\(bad)")
        }
        for good in ["0", "-0", "1.5", "1E5", "1e-5", "-12.30e+2"] {
            #expect(JSONNumber(literal: good) != nil, "\(good)")
        }
    }

    @Test func hashMatchesEquality() {
        var set: Set<JSONNumber> = [JSONNumber(literal: "1.50")!]
        #expect(set.contains(JSONNumber(literal: "1.5")!))
        set.insert(JSONNumber(literal: "150e-2")!)
        #expect(set.count == 1)
    }

    @Test(arguments: [
        "2026-11-27T08:15:00Z", "2026-11-27T08:15:00.123Z", "2026-11-27t08:15:00z", "2024-02-29T00:00:00+01:00",
        "2026-01-01T23:59:59.999999-05:30",
    ])
    func acceptsRFC3339(text: String) {
        #expect(OCPPDateTime(rfc3339: text) != nil)
    }

    @Test(arguments: [
        "2026-11-27T08:15:00", "2026-11-27 08:15:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T08:60:00Z", "2026-11-27T08:15:60Z",
        "2026-11-27T08:15:00.Z", "2026-11-27T08:15:00+0100", "26-11-27T08:15:00Z", "2026-11-27T08:15:00Z ",
        "2026-11-27T08:15:00+01:00:00", "",
    ])
    func refusesOtherTimestamps(text: String) {
        #expect(OCPPDateTime(rfc3339: text) == nil)
    }

    @Test func dateTimeInstantAndFormatting() throws {
        let a = try #require(OCPPDateTime(rfc3339: "2026-11-27T10:15:00.250+02:00"))
        let b = try #require(OCPPDateTime(rfc3339: "2026-11-27T08:15:00.25Z"))
        #expect(a == b)
        #expect(a.text == "2026-11-27T10:15:00.250+02:00")
        #expect(OCPPDateTime(b.date).text == "2026-11-27T08:15:00.250Z")
        #expect(OCPPDateTime(Date(timeIntervalSince1970: 0)).text == "1970-01-01T00:00:00.000Z")
        #expect(OCPPDateTime(Date(timeIntervalSince1970: -1)).text == "1969-12-31T23:59:59.000Z")
        let leap = try #require(OCPPDateTime(rfc3339: "2000-02-29T12:00:00Z"))
        #expect(OCPPDateTime(leap.date).text == "2000-02-29T12:00:00.000Z")
    }
}
