import CSMSCore
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSProcessor

/// The standard processor (real registries and handlers) over a test store.
struct StandardHarness {
    let store: FaultInjectingStore
    let clock = TestClock()
    let processor: MessageProcessor

    init(
        store: FaultInjectingStore = FaultInjectingStore(),
        configuration: ProcessorConfiguration = .acceptingUnknown
    ) {
        self.store = store
        processor = MessageProcessor(
            store: store, configuration: configuration, clock: clock, logger: Logger(label: "test"))
    }

    func send(_ text: String, _ session: StationSession) async -> InboundResult {
        await processor.handle(Array(text.utf8), session: session)
    }

    var nowText: String { OCPPDateTime(clock.now()).text }
}

let boot16 = #"""
    [2,"b16","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"ModelY",
    "chargePointSerialNumber":"CPS-1","chargeBoxSerialNumber":"CBS-1","firmwareVersion":"1.2.3",
    "iccid":"8931","imsi":"2620","meterType":"MT-1","meterSerialNumber":"MS-1"}]
    """#

let boot2x = #"""
    [2,"b2","BootNotification",{"reason":"PowerUp","chargingStation":{"vendorName":"VendorX",
    "model":"ModelY","serialNumber":"CPS-1","firmwareVersion":"1.2.3","modem":{"iccid":"8931","imsi":"2620"}}}]
    """#

@Suite("Standard handlers")
struct HandlerTests {
    @Test func bootNotification16StoresEveryFieldAndAccepts() async throws {
        let h = StandardHarness()
        let payload = try #require(await h.send(boot16, session(.v16)).resultPayload)
        #expect(payload == ["status": "Accepted", "currentTime": .string(h.nowText), "interval": 300])
        #expect(h.nowText.hasSuffix("Z") && h.nowText.contains("."))
        let cp = try #require(await h.store.stored(cp1))
        #expect(
            cp.boot
                == BootInfo(
                    vendor: "VendorX", model: "ModelY", serialNumber: "CPS-1", chargeBoxSerialNumber: "CBS-1",
                    firmwareVersion: "1.2.3", iccid: "8931", imsi: "2620", meterType: "MT-1", meterSerialNumber: "MS-1")
        )
        #expect(cp.bootStatus == .accepted)
        #expect(cp.protocolVersion == "ocpp1.6")
        #expect(cp.lastBootAt == h.clock.now())
    }

    @Test(arguments: [OCPPVersion.v20, .v201, .v21])
    func bootNotification2xStoresEveryFieldAndAccepts(version: OCPPVersion) async throws {
        let h = StandardHarness()
        let payload = try #require(await h.send(boot2x, session(version)).resultPayload)
        #expect(payload == ["status": "Accepted", "currentTime": .string(h.nowText), "interval": 300])
        let cp = try #require(await h.store.stored(cp1))
        #expect(
            cp.boot
                == BootInfo(
                    vendor: "VendorX", model: "ModelY", serialNumber: "CPS-1", firmwareVersion: "1.2.3",
                    iccid: "8931", imsi: "2620", bootReason: "PowerUp"))
        #expect(cp.protocolVersion == version.rawValue)
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func bootNotificationFollowsPolicyAndOperator(version: OCPPVersion) async throws {
        let frame = version == .v16 ? boot16 : boot2x
        let pending = StandardHarness(configuration: ProcessorConfiguration(unknownChargePoints: .pending))
        #expect(await pending.send(frame, session(version)).resultPayload?["status"] == "Pending")
        #expect(await pending.send(frame, session(version)).resultPayload?["interval"] == 60)
        #expect(await pending.store.stored(cp1)?.registrationStatus == .pending)

        let reject = StandardHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .reject, bootRetryInterval: .seconds(900)))
        let rejected = await reject.send(frame, session(version)).resultPayload
        #expect(rejected?["status"] == "Rejected")
        #expect(rejected?["interval"] == 900)
        #expect(await reject.store.stored(cp1) == nil)

        let store = FaultInjectingStore()
        await store.register(cp1, status: .rejected)
        let known = StandardHarness(store: store, configuration: ProcessorConfiguration(unknownChargePoints: .reject))
        #expect(await known.send(frame, session(version)).resultPayload?["status"] == "Rejected")
        await store.register(cp1, status: .accepted)
        #expect(
            await known.send(frame.replacingOccurrences(of: #""b"#, with: #""c"#), session(version))
                .resultPayload?["status"] == "Accepted")
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func heartbeatAnswersTheTimeAndRecordsTheStationAsSeen(version: OCPPVersion) async throws {
        let h = StandardHarness()
        let s = session(version)
        _ = await h.send(version == .v16 ? boot16 : boot2x, s)
        h.clock.advance(42.5)
        #expect(await h.send(#"[2,"h1","Heartbeat",{}]"#, s).resultPayload == ["currentTime": .string(h.nowText)])
        #expect(await h.store.stored(cp1)?.lastSeen == h.clock.now())
    }

    @Test func statusNotification16RecordsEveryFieldAndIgnoresOlderForCurrent() async throws {
        let h = StandardHarness()
        let s = session(.v16)
        _ = await h.send(boot16, s)
        let newer = #"""
            [2,"s1","StatusNotification",{"connectorId":1,"errorCode":"OtherError","status":"Faulted",
            "info":"relay","vendorId":"VX","vendorErrorCode":"E42","timestamp":"2027-01-15T10:00:00Z"}]
            """#
        let older = #"""
            [2,"s2","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available",
            "timestamp":"2027-01-15T09:00:00+00:00"}]
            """#
        #expect(await h.send(newer, s).resultPayload == [:])
        #expect(await h.send(older, s).resultPayload == [:])
        let current = try await h.store.connectorStatuses(of: cp1)
        #expect(current.count == 1)
        let c = try #require(current.first)
        #expect(c.status == "Faulted")
        #expect(c.errorCode == "OtherError")
        #expect(c.info == "relay" && c.vendorId == "VX" && c.vendorErrorCode == "E42")
        #expect(c.evseId == nil && c.connectorId == 1)
        #expect(c.timestamp == OCPPDateTime(rfc3339: "2027-01-15T10:00:00Z")!.date)
        #expect(c.receivedAt == h.clock.now())
        #expect(try await h.store.statusHistory(of: cp1, limit: 10).count == 2)
        // Without a timestamp the receive time stands in.
        _ = await h.send(
            #"[2,"s3","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]"#, s)
        #expect(try await h.store.connectorStatuses(of: cp1).first { $0.connectorId == 0 }?.timestamp == h.clock.now())
    }

    @Test(arguments: [OCPPVersion.v201, .v21])
    func statusNotification2xRecordsEvseAndConnector(version: OCPPVersion) async throws {
        let h = StandardHarness()
        let s = session(version)
        _ = await h.send(boot2x, s)
        let newer = #"""
            [2,"s1","StatusNotification",{"timestamp":"2027-01-15T10:00:00.000Z","connectorStatus":"Occupied",
            "evseId":2,"connectorId":1}]
            """#
        let older = #"""
            [2,"s2","StatusNotification",{"timestamp":"2027-01-15T09:59:59.999Z","connectorStatus":"Available",
            "evseId":2,"connectorId":1}]
            """#
        #expect(await h.send(newer, s).resultPayload == [:])
        #expect(await h.send(older, s).resultPayload == [:])
        let current = try await h.store.connectorStatuses(of: cp1)
        #expect(current.map(\.status) == ["Occupied"])
        #expect(current.first?.evseId == 2 && current.first?.connectorId == 1)
        #expect(current.first?.errorCode == nil)
        #expect(try await h.store.statusHistory(of: cp1, limit: 10).map(\.status) == ["Available", "Occupied"])
    }

    @Test func retriedStatusNotificationDoesNotAddHistory() async throws {
        let h = StandardHarness()
        let s = session(.v201)
        _ = await h.send(boot2x, s)
        let frame = #"""
            [2,"s1","StatusNotification",{"timestamp":"2027-01-15T10:00:00Z","connectorStatus":"Occupied",
            "evseId":1,"connectorId":1}]
            """#
        let first = await h.send(frame, s)
        let retry = await h.send(frame, s)
        #expect(first.replyBytes != nil && first.replyBytes == retry.replyBytes)
        #expect(try await h.store.statusHistory(of: cp1, limit: 10).count == 1)
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func realRegistriesRouteUnknownUnsupportedAndUnhandledActions(version: OCPPVersion) async throws {
        let h = StandardHarness()
        let s = session(version)
        _ = await h.send(version == .v16 ? boot16 : boot2x, s)
        #expect(await h.send(#"[2,"x1","Frobnicate",{}]"#, s).callError?.code == .notImplemented)
        #expect(await h.send(#"[2,"x2","Reset",{"type":"Hard"}]"#, s).callError?.code == .notSupported)
        // A valid request of an action the station may send but that has no handler yet.
        let firmwareStatus = #"[2,"x3","FirmwareStatusNotification",{"status":"Idle"}]"#
        let unhandled = try #require(await h.send(firmwareStatus, s).callError)
        #expect(unhandled.code == .notImplemented)
    }

    @Test func realSchemasGiveTheVersionsValidationCodes() async throws {
        let h = StandardHarness()
        let missingModel16 = #"[2,"v1","BootNotification",{"chargePointVendor":"V"}]"#
        #expect(await h.send(missingModel16, session(.v16)).callError?.code == .occurenceConstraintViolation)
        let missingReason = #"[2,"v2","BootNotification",{"chargingStation":{"vendorName":"V","model":"M"}}]"#
        #expect(await h.send(missingReason, session(.v201)).callError?.code == .occurrenceConstraintViolation)
        let badReason =
            #"[2,"v3","BootNotification",{"reason":"Bored","chargingStation":{"vendorName":"V","model":"M"}}]"#
        let error = try #require(await h.send(badReason, session(.v21)).callError)
        #expect(error.code == .propertyConstraintViolation)
        #expect(!error.description.contains("Bored"))
        let longVendor =
            #"[2,"v4","BootNotification",{"chargePointVendor":"\#(String(repeating: "V", count: 21))","chargePointModel":"M"}]"#
        #expect(await h.send(longVendor, session(.v16)).callError?.code == .propertyConstraintViolation)
    }

    @Test func unhandledSendIsADeadLetter() async throws {
        let h = StandardHarness()
        let s = session(.v21)
        _ = await h.send(boot2x, s)
        let stream =
            #"[6,"n1","NotifyPeriodicEventStream",{"id":1,"pending":0,"basetime":"2027-01-15T10:00:00Z","data":[{"t":0,"v":"1"}]}]"#
        #expect(await h.send(stream, s) == InboundResult.none)
        let letter = try #require(await h.store.letters().first)
        #expect(letter.reason == "send_rejected")
        #expect(letter.error.hasPrefix("NotImplemented"))
    }
}
