import PropertyBased
import Testing

@testable import OCPP

@Suite("Properties of the JSON and frame codecs")
struct PropertyTests {
    /// Any Unicode scalar (surrogate code points, which are not scalars, become U+FFFD).
    static let scalar = Gen<UInt32>.value(in: 0...0x10_FFFF).map { Unicode.Scalar($0) ?? "\u{FFFD}" }
    static let text = scalar.array(of: 0...40).map { scalars in
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }

    @Test func everyFiniteDoubleRoundTripsExactly() async {
        await propertyCheck(count: 2_000, input: Gen.double(in: -1e300...1e300)) { d in
            let n = JSONNumber(d)
            #expect(JSONNumber(literal: n.literal) != nil, "\(n.literal) is not JSON")
            #expect(Double(n.literal) == d)
            #expect((try? JSONValue(parsing: n.literal)) == .number(n))
        }
    }

    @Test func everyStringRoundTrips() async {
        await propertyCheck(count: 1_000, input: Self.text) { s in
            let value: JSONValue = ["k": .string(s), .init(stringLiteral: s): [.string(s)]]
            let bytes = value.serialized()
            #expect((try? JSONValue(parsing: bytes)) == value)
        }
    }

    @Test func randomBytesNeverCrashTheFrameDecoder() async {
        let bytes = Gen<UInt8>.value(in: 0...255).array(of: 0...64)
        await propertyCheck(count: 2_000, input: bytes) { input in
            for version in OCPPVersion.allCases {
                do {
                    _ = try RPCFrame.decode(input, version: version)
                } catch let error as RPCFrameFailure {
                    if case .callError(let e) = error.response {
                        #expect(e.description.count <= 255)
                        #expect(e.messageId == "-1" || e.messageId.unicodeScalars.count <= 36)
                    }
                } catch {
                    Issue.record("unexpected error type \(error)")
                }
            }
        }
    }

    @Test func damagedFramesFailCleanly() async {
        let frame = Array(#"[2,"m-1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#.utf8)
        let edits = zip(Gen.int(in: 0..<frame.count), Gen<UInt8>.value(in: 0...255), Gen.bool())
        await propertyCheck(count: 2_000, input: edits) { position, byte, insert in
            var damaged = frame
            if insert { damaged.insert(byte, at: position) } else { damaged[position] = byte }
            for version in [OCPPVersion.v16, .v201, .v21] {
                switch Result(catching: { () throws(RPCFrameFailure) in try RPCFrame.decode(damaged, version: version) }
                )
                {
                case .success(let decoded):
                    // Whatever decodes must re-encode to JSON that decodes to the same frame.
                    #expect((try? RPCFrame.decode(decoded.encoded(), version: version)) == decoded)
                case .failure(let failure):
                    #expect(!failure.reason.isEmpty)
                }
            }
        }
    }
}
