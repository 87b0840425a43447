import CSMSCore
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSProcessor

/// The standard processor with the registry authorizer over a test store.
struct AuthorizeHarness {
    let store = FaultInjectingStore()
    let clock = TestClock()
    let processor: MessageProcessor

    /// `registry`: the store the authorizer reads (default: the processor's store).
    init(policy: AuthorizationPolicy = AuthorizationPolicy(), registry: FaultInjectingStore? = nil) {
        processor = MessageProcessor(
            store: store, configuration: .acceptingUnknown,
            services: HandlerServices(authorizer: RegistryAuthorizer(store: registry ?? store, policy: policy)),
            clock: clock,
            logger: Logger(label: "test"))
    }

    func send(_ text: String, _ session: StationSession) async -> InboundResult {
        await processor.handle(Array(text.utf8), session: session)
    }

    /// Boots the station (accepted) so that Authorize passes the registration gate.
    func boot(_ version: OCPPVersion) async throws {
        let text = version == .v16 ? boot16 : boot2x
        _ = try #require(await send(text, session(version)).resultPayload)
    }

    func add(_ record: IdTokenRecord) async throws { try await store.commit([.upsertIdToken(record)]) }

    func authorize16(_ idTag: String, id: String = "a1") async -> JSONValue? {
        await send(#"[2,"\#(id)","Authorize",{"idTag":"\#(idTag)"}]"#, session(.v16)).resultPayload
    }

    func authorize2x(_ version: OCPPVersion, _ token: String, type: String = "ISO14443", extra: String = "")
        async -> JSONValue?
    {
        let id = UUID().uuidString
        return await send(
            #"[2,"\#(id)","Authorize",{"idToken":{"idToken":"\#(token)","type":"\#(type)"}\#(extra)}]"#,
            session(version)
        ).resultPayload
    }
}

@Suite("Authorize handlers")
struct AuthorizeHandlerTests {
    @Test func ocpp16AnswersFromTheRegistry() async throws {
        let h = AuthorizeHarness()
        try await h.boot(.v16)
        let expiry = h.clock.now().addingTimeInterval(3600)
        try await h.add(
            IdTokenRecord(idToken: "TAG-OK", expiryDate: expiry, groupIdToken: "PARENT", createdAt: h.clock.now()))
        try await h.add(IdTokenRecord(idToken: "TAG-BLOCKED", status: .blocked, createdAt: h.clock.now()))
        try await h.add(
            IdTokenRecord(
                idToken: "TAG-OLD", expiryDate: h.clock.now().addingTimeInterval(-1), createdAt: h.clock.now()))
        try await h.add(
            IdTokenRecord(idToken: "TAG-ELSEWHERE", chargePointIds: [ChargePointID("CP-X")!], createdAt: h.clock.now()))

        #expect(
            await h.authorize16("TAG-OK")
                == [
                    "idTagInfo": [
                        "status": "Accepted", "expiryDate": .string(OCPPDateTime(expiry).text), "parentIdTag": "PARENT",
                    ]
                ])
        #expect(await h.authorize16("TAG-BLOCKED", id: "a2") == ["idTagInfo": ["status": "Blocked"]])
        let old = h.clock.now().addingTimeInterval(-1)
        #expect(
            await h.authorize16("TAG-OLD", id: "a3")
                == ["idTagInfo": ["status": "Expired", "expiryDate": .string(OCPPDateTime(old).text)]])
        #expect(await h.authorize16("UNKNOWN", id: "a4") == ["idTagInfo": ["status": "Invalid"]])
        // NotAtThisLocation does not exist in 1.6: Invalid.
        #expect(await h.authorize16("TAG-ELSEWHERE", id: "a5") == ["idTagInfo": ["status": "Invalid"]])
        // Authorize changes no state: its commits hold at most the stored answer.
        let authorizeCommits = h.store.commits.suffix(5)
        #expect(
            authorizeCommits.allSatisfy { writes in
                writes.allSatisfy { if case .storeResponse = $0 { true } else { false } }
            })
    }

    @Test func ocpp201AnswersIdTokenInfo() async throws {
        let h = AuthorizeHarness()
        try await h.boot(.v201)
        try await h.add(
            IdTokenRecord(
                idToken: "RFID-1", type: "ISO14443", groupIdToken: "FLEET", evseIds: [1], language: "de",
                personalMessage: "Hallo", createdAt: h.clock.now()))
        try await h.add(IdTokenRecord(idToken: "FLEET", type: "Central", createdAt: h.clock.now()))
        try await h.add(
            IdTokenRecord(idToken: "RFID-2", chargePointIds: [ChargePointID("CP-X")!], createdAt: h.clock.now()))

        let accepted = try #require(await h.authorize2x(.v201, "RFID-1"))
        #expect(
            accepted
                == [
                    "idTokenInfo": [
                        "status": "Accepted", "language1": "de", "evseId": [1],
                        "groupIdToken": ["idToken": "FLEET", "type": "Central"],
                        "personalMessage": ["format": "UTF8", "content": "Hallo"],
                    ]
                ])
        #expect(await h.authorize2x(.v201, "RFID-2") == ["idTokenInfo": ["status": "NotAtThisLocation"]])
        #expect(await h.authorize2x(.v201, "RFID-1", type: "KeyCode") == ["idTokenInfo": ["status": "Invalid"]])
        #expect(await h.authorize2x(.v201, "x", type: "NoAuthorization") == ["idTokenInfo": ["status": "Invalid"]])
    }

    @Test func noAuthorizationAcceptedWhenConfigured() async throws {
        let h = AuthorizeHarness(policy: AuthorizationPolicy(allowNoAuthorization: true))
        try await h.boot(.v21)
        #expect(await h.authorize2x(.v21, "", type: "NoAuthorization") == ["idTokenInfo": ["status": "Accepted"]])
    }

    @Test func certificateHashDataIsAnsweredAsNotVerified() async throws {
        let h = AuthorizeHarness()
        try await h.boot(.v201)
        try await h.add(IdTokenRecord(idToken: "EMAID1", type: "eMAID", createdAt: h.clock.now()))
        let hashData =
            #","iso15118CertificateHashData":[{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","#
            + #""serialNumber":"01","responderURL":"http://ocsp.example"}]"#
        let payload = try #require(await h.authorize2x(.v201, "EMAID1", type: "eMAID", extra: hashData))
        #expect(payload == ["idTokenInfo": ["status": "Accepted"], "certificateStatus": "NoCertificateAvailable"])
        let v21 = try #require(await h.authorize2x(.v21, "EMAID1", type: "eMAID", extra: hashData))
        #expect(v21["certificateStatus"] == "NoCertificateAvailable")
    }

    @Test func storeFailureAnswersFallbackNotAnError() async throws {
        let registry = FaultInjectingStore()
        let h = AuthorizeHarness(registry: registry)
        try await h.boot(.v16)
        try await registry.commit([.upsertIdToken(IdTokenRecord(idToken: "TAG-OK", createdAt: h.clock.now()))])
        #expect(await h.authorize16("TAG-OK") == ["idTagInfo": ["status": "Accepted"]])
        registry.setFailingReads(true)
        // The registry cannot be read: the fallback status, not a CALLERROR.
        #expect(await h.authorize16("TAG-OK", id: "a2") == ["idTagInfo": ["status": "Invalid"]])
    }
}
