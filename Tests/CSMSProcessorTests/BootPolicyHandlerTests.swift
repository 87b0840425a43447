import CSMSCore
import CSMSTesting
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

/// The boot policies through the real BootNotification handlers and pipeline (1.6, 2.0.1, 2.1),
/// and the flooding security event of the rate limit.
/// A store whose serial-binding read fails.
final class BindingReadFailingStore: ForwardingStore, @unchecked Sendable {
    init() { super.init(base: InMemoryStore()) }

    override func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding? {
        throw StoreError(.unavailable, "injected binding read failure")
    }
}

@Suite("Boot validation policies in the BootNotification handlers")
struct BootPolicyHandlerTests {
    static func configuration(_ policy: BootPolicy) -> ProcessorConfiguration {
        var configuration = ProcessorConfiguration.acceptingUnknown
        configuration.bootPolicy = policy
        configuration.heartbeatInterval = .seconds(300)
        configuration.bootRetryInterval = .seconds(60)
        return configuration
    }

    /// A boot of version `version` with vendor VendorX, model ModelY, the serial and firmware given.
    static func boot(_ version: OCPPVersion, serial: String = "CPS-1", firmware: String = "1.2.3", id: String = "b")
        -> String
    {
        if version == .v16 {
            return
                #"[2,"\#(id)","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"ModelY","chargePointSerialNumber":"\#(serial)","firmwareVersion":"\#(firmware)"}]"#
        }
        return
            #"[2,"\#(id)","BootNotification",{"reason":"PowerUp","chargingStation":{"vendorName":"VendorX","model":"ModelY","serialNumber":"\#(serial)","firmwareVersion":"\#(firmware)"}}]"#
    }

    private func events(_ h: StandardHarness) async throws -> [SecurityEvent] {
        try await h.store.securityEvents(chargePointId: cp1, after: nil, limit: 50)
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func firmwareBelowTheMinimumIsPendingWithAnEvent(version: OCPPVersion) async throws {
        let policy = BootPolicy(firmwareRules: [
            .init(
                vendor: "VendorX", minimumFirmware: "1.10.0", action: .pending, firmwareUrl: "https://fw.example/x.bin")
        ])
        let h = StandardHarness(configuration: Self.configuration(policy))
        let answer = try #require(await h.send(Self.boot(version, firmware: "v1.9.3"), session(version)).resultPayload)
        #expect(answer["status"] == "Pending")
        #expect(answer["interval"] == 60, "the boot retry interval")
        let point = try #require(try await h.store.chargePoint(cp1))
        #expect(point.bootStatus == .pending && point.boot?.firmwareVersion == "v1.9.3")
        let stored = try await events(h)
        #expect(stored.map(\.type) == ["csms.boot.firmware_below_minimum"])
        #expect(stored.first?.source == .csms && stored.first?.receivedAt == h.clock.now())
        #expect(
            await h.send(#"[2,"h","Heartbeat",{}]"#, session(version)).callError?.code == .securityError,
            "a Pending station may send nothing but BootNotification (2.0.1 B02.FR.09)")

        let upgraded = try #require(
            await h.send(Self.boot(version, firmware: "1.10.0", id: "b2"), session(version)).resultPayload)
        #expect(upgraded["status"] == "Accepted")
        #expect(try await events(h).count == 1, "no event for a boot at the minimum")
    }

    @Test(arguments: [BootPolicy.Action.accept, .reject])
    func otherFirmwareActions(action: BootPolicy.Action) async throws {
        let policy = BootPolicy(firmwareRules: [
            .init(vendor: "vendorx", model: "ModelY", minimumFirmware: "2", action: action)
        ])
        let h = StandardHarness(configuration: Self.configuration(policy))
        let answer = try #require(await h.send(Self.boot(.v201), session(.v201)).resultPayload)
        #expect(answer["status"] == (action == .accept ? "Accepted" : "Rejected"))
        #expect(try await events(h).map(\.type) == ["csms.boot.firmware_below_minimum"])
        let point = try await h.store.chargePoint(cp1)
        #expect(
            action == .accept ? point?.bootStatus == .accepted : point == nil,
            "a boot the policy rejects registers no unknown station")
    }

    @Test(arguments: [OCPPVersion.v16, .v201])
    func allowList(version: OCPPVersion) async throws {
        let h = StandardHarness(
            configuration: Self.configuration(BootPolicy(allowedModels: [.init(vendor: "VendorX", model: "Other")])))
        let answer = try #require(await h.send(Self.boot(version), session(version)).resultPayload)
        #expect(answer["status"] == "Rejected")
        #expect(try await events(h).map(\.type) == ["csms.boot.model_not_allowed"])

        let allowing = StandardHarness(
            configuration: Self.configuration(BootPolicy(allowedModels: [.init(vendor: "VendorX")])))
        #expect(
            try #require(await allowing.send(Self.boot(version), session(version)).resultPayload)["status"]
                == "Accepted")
        #expect(try await allowing.store.securityEvents(chargePointId: nil, after: nil, limit: 5).isEmpty)
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func serialBindingHoldsAChangedSerialPendingUntilRebound(version: OCPPVersion) async throws {
        let h = StandardHarness(configuration: Self.configuration(BootPolicy(bindSerialNumber: true)))
        let first = try #require(await h.send(Self.boot(version, serial: "SN-A"), session(version)).resultPayload)
        #expect(first["status"] == "Accepted")
        #expect(try await h.store.serialBinding(of: cp1)?.serialNumber == "SN-A")
        #expect(try await h.store.serialBinding(of: cp1)?.boundAt == h.clock.now())

        let same = try #require(
            await h.send(Self.boot(version, serial: "SN-A", id: "b2"), session(version)).resultPayload)
        #expect(same["status"] == "Accepted")

        let other = try #require(
            await h.send(Self.boot(version, serial: "SN-B", id: "b3"), session(version)).resultPayload)
        #expect(other["status"] == "Pending")
        let stored = try await events(h)
        #expect(stored.map(\.type) == ["csms.boot.serial_mismatch"])
        #expect(stored.first?.techInfo?.contains("'SN-B' differs from the bound 'SN-A'") == true)
        #expect(try await h.store.serialBinding(of: cp1)?.serialNumber == "SN-A", "a mismatch does not rebind")

        // The operator rebinds (API PUT /charge-points/{id}/serial-binding).
        try await h.store.commit([
            .bindSerialNumber(SerialBinding(chargePointId: cp1, serialNumber: "SN-B", boundAt: h.clock.now()))
        ])
        let rebound = try #require(
            await h.send(Self.boot(version, serial: "SN-B", id: "b4"), session(version)).resultPayload)
        #expect(rebound["status"] == "Accepted")
    }

    @Test func aClearedBindingIsBoundAgainAtTheNextAcceptedBoot() async throws {
        let h = StandardHarness(configuration: Self.configuration(BootPolicy(bindSerialNumber: true)))
        _ = await h.send(Self.boot(.v201, serial: "SN-A"), session(.v201))
        try await h.store.commit([.clearSerialBinding(id: cp1)])
        let answer = try #require(
            await h.send(Self.boot(.v201, serial: "SN-C", id: "b2"), session(.v201)).resultPayload)
        #expect(answer["status"] == "Accepted")
        #expect(try await h.store.serialBinding(of: cp1)?.serialNumber == "SN-C")
    }

    @Test func stationsWithACertificateAreNotBoundBySerial() async throws {
        let h = StandardHarness(configuration: Self.configuration(BootPolicy(bindSerialNumber: true)))
        let certified = StationSession(chargePointId: cp1, version: .v201, hasClientCertificate: true)
        #expect(
            try #require(await h.send(Self.boot(.v201, serial: "SN-A"), certified).resultPayload)["status"]
                == "Accepted")
        #expect(try await h.store.serialBinding(of: cp1) == nil)
    }

    @Test func theOperatorsRejectionStaysFinal() async throws {
        let h = StandardHarness(
            configuration: Self.configuration(
                BootPolicy(firmwareRules: [.init(vendor: "VendorX", minimumFirmware: "9", action: .pending)])))
        try await h.store.commit([
            .upsertChargePoint(ChargePointUpdate(id: cp1, registrationStatus: .rejected, at: h.clock.now()))
        ])
        #expect(try #require(await h.send(Self.boot(.v16), session(.v16)).resultPayload)["status"] == "Rejected")
        #expect(try await events(h).isEmpty, "a rejected station is not checked further")
    }

    @Test func aStoreFailureReadingTheBindingIsAnInternalError() async throws {
        let store = BindingReadFailingStore()
        let processor = MessageProcessor(
            store: store, configuration: Self.configuration(BootPolicy(bindSerialNumber: true)), clock: TestClock(),
            logger: Logger(label: "test"))
        let result = await processor.handle(Array(Self.boot(.v201).utf8), session: session(.v201))
        #expect(result.callError?.code == .internalError)
        #expect(try await store.chargePoint(cp1) == nil, "nothing of the boot is stored")
    }

    @Test func floodingStoresOneSecurityEventPerDisconnect() async throws {
        let store = FaultInjectingStore()
        var router = ActionRouter()
        router.register(PingHandler(runs: RunCounter()), for: .v201)
        router.register(FakeBootHandler(), for: .v201)
        let time = ManualTime()
        let step = RateLimitStep(
            settings: RateLimitSettings(rate: 1, burst: 1, disconnectAfter: 2),
            metrics: ProcessorMetrics(factory: TestMetrics()), store: store, now: { time.now })
        let p = MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: .acceptingUnknown,
            services: HandlerServices(), clock: TestClock(), logger: Logger(label: "t"), metricsFactory: TestMetrics(),
            rateLimit: step)
        let s = StationSession(chargePointId: cp1, version: .v201, remoteAddress: "10.0.0.9")
        _ = await p.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s)
        _ = await p.handle(Array(#"[2,"1","TestPing",{"n":1}]"#.utf8), session: s)
        #expect(try await store.securityEvents(chargePointId: nil, after: nil, limit: 5).isEmpty, "one refusal")
        guard case .replyAndClose = await p.handle(Array(#"[2,"2","TestPing",{"n":1}]"#.utf8), session: s) else {
            Issue.record("the second refusal in a row closes the connection")
            return
        }
        let events = try await store.securityEvents(chargePointId: cp1, after: nil, limit: 5)
        #expect(events.map(\.type) == ["csms.flooding"])
        #expect(events.first?.source == .csms && events.first?.remoteAddress == "10.0.0.9")
        #expect(events.first?.techInfo?.contains("2 messages in a row") == true)
    }
}
