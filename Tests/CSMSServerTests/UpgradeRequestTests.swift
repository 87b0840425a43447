import CSMSCore
import OCPP
import Testing

@testable import CSMSServer

@Suite("Opening handshake decisions (no sockets)")
struct UpgradeRequestTests {
    private func request(_ path: String, _ offered: [String] = [], authorization: String? = nil) -> UpgradeRequest {
        UpgradeRequest(path: path, offeredSubprotocols: offered, authorization: authorization)
    }

    @Test("the id is the percent-decoded last path segment")
    func chargePointIdFromPath() throws {
        #expect(try request("/ocpp/CP-001").chargePointId().rawValue == "CP-001")
        #expect(try request("/ocpp/CP%2D001").chargePointId().rawValue == "CP-001")
        #expect(try request("/ocpp/a%7Cb@c.d").chargePointId().rawValue == "a|b@c.d")
        #expect(try request("/ocpp/CP1?x=1").chargePointId().rawValue == "CP1")
    }

    @Test(
        "invalid ids and foreign paths are refused",
        arguments: [
            ("/ocpp/RDAM%20123", UpgradeRequest.Refusal.invalidChargePointId),  // space not allowed
            ("/ocpp/" + String(repeating: "x", count: 49), .invalidChargePointId),
            ("/ocpp/%zz", .invalidChargePointId),
            ("/ocpp/%C3%A9", .invalidChargePointId),  // é
            ("/ocpp/", .invalidChargePointId),
            ("/ocpp/a/b", .notAnOCPPPath),
            ("/other/CP1", .notAnOCPPPath),
            ("/ocpp", .notAnOCPPPath),
        ])
    func refusedPaths(path: String, refusal: UpgradeRequest.Refusal) {
        #expect(throws: refusal) { try request(path).chargePointId() }
    }

    @Test("the first offered version that is enabled wins")
    func negotiation() {
        let all = Set(OCPPVersion.allCases)
        #expect(request("/ocpp/a", ["ocpp2.0.1", "ocpp1.6"]).negotiatedVersion(enabled: all) == .v201)
        #expect(request("/ocpp/a", ["ocpp1.6", "ocpp2.0.1"]).negotiatedVersion(enabled: all) == .v16)
        #expect(request("/ocpp/a", ["ocpp1.5", "wamp", "ocpp2.1"]).negotiatedVersion(enabled: all) == .v21)
        #expect(request("/ocpp/a", ["ocpp2.0"]).negotiatedVersion(enabled: all) == .v20)
        // A version switched off in the configuration is skipped.
        #expect(request("/ocpp/a", ["ocpp2.0.1", "ocpp1.6"]).negotiatedVersion(enabled: [.v16]) == .v16)
        #expect(request("/ocpp/a", ["ocpp2.0.1"]).negotiatedVersion(enabled: [.v16]) == nil)
        #expect(request("/ocpp/a", []).negotiatedVersion(enabled: all) == nil)
        // Tokens are case-sensitive (RFC 6455 §4.1).
        #expect(request("/ocpp/a", ["OCPP1.6"]).negotiatedVersion(enabled: all) == nil)
    }

    @Test("Sec-WebSocket-Protocol lists are split across commas and repeated headers")
    func headerSplitting() {
        #expect(
            UpgradeRequest.subprotocols(fromHeaderValues: ["ocpp2.0.1, ocpp1.6", " ocpp2.1 ,,"])
                == ["ocpp2.0.1", "ocpp1.6", "ocpp2.1"])
        #expect(UpgradeRequest.subprotocols(fromHeaderValues: []).isEmpty)
    }

    @Test("Basic credentials are read from the Authorization header")
    func basicCredentials() {
        // base64("CP1:secret:with:colons")
        let header = "Basic Q1AxOnNlY3JldDp3aXRoOmNvbG9ucw=="
        let credentials = request("/ocpp/CP1", authorization: header).basicCredentials()
        #expect(credentials?.user == "CP1")
        #expect(credentials?.password == "secret:with:colons")
        #expect(request("/ocpp/CP1", authorization: "Bearer abc").basicCredentials() == nil)
        #expect(request("/ocpp/CP1", authorization: "Basic !!!").basicCredentials() == nil)
        #expect(request("/ocpp/CP1").basicCredentials() == nil)
    }
}
