import CSMSCore
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSProcessor

/// DataTransfer (vendor registry) and the stored station reports (NotifyReport and the other
/// follow-ups of operator commands), through the standard processor.
@Suite("Station reports and DataTransfer")
struct StationReportHandlerTests {
    /// The standard processor with `vendors`, the station booted (accepted) in `version`.
    func booted(_ version: OCPPVersion, vendors: DataTransferVendors = .init()) async -> (
        FaultInjectingStore, MessageProcessor
    ) {
        let store = FaultInjectingStore()
        let processor = MessageProcessor(
            store: store, configuration: .acceptingUnknown, services: HandlerServices(dataTransferVendors: vendors),
            clock: TestClock(), logger: Logger(label: "test"))
        _ = await processor.handle(Array((version == .v16 ? boot16 : boot2x).utf8), session: session(version))
        return (store, processor)
    }

    func send(_ processor: MessageProcessor, _ text: String, _ version: OCPPVersion) async -> InboundResult {
        await processor.handle(Array(text.utf8), session: session(version))
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func dataTransferUnknownVendorByDefaultAndStored(version: OCPPVersion) async throws {
        let (store, processor) = await booted(version)
        let result = await send(processor, #"[2,"d1","DataTransfer",{"vendorId":"com.acme","data":"x"}]"#, version)
        #expect(result.resultPayload == ["status": "UnknownVendorId"])
        let reports = try await store.stationReports(
            of: cp1, action: "DataTransfer", requestId: nil, after: nil, limit: 5)
        #expect(reports.map(\.payload) == [["vendorId": "com.acme", "data": "x"]])
        #expect(reports.first?.protocolVersion == version.subprotocol)
    }

    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func echoVendorWhenEnabled(version: OCPPVersion) async throws {
        let (_, processor) = await booted(version, vendors: DataTransferVendors([EchoDataTransferVendor()]))
        let echo = await send(
            processor, #"[2,"d1","DataTransfer",{"vendorId":"org.swift-csms.echo","messageId":"echo","data":"hi"}]"#,
            version)
        #expect(echo.resultPayload == ["status": "Accepted", "data": "hi"])
        let unknown = await send(
            processor, #"[2,"d2","DataTransfer",{"vendorId":"org.swift-csms.echo","messageId":"what"}]"#, version)
        #expect(unknown.resultPayload == ["status": "UnknownMessageId"])
        let rejected = await send(
            processor, #"[2,"d3","DataTransfer",{"vendorId":"org.swift-csms.echo","messageId":"reject"}]"#, version)
        #expect(rejected.resultPayload == ["status": "Rejected"])
    }

    @Test func echoOfStructuredDataIn16IsSentAsText() async throws {
        struct Structured: DataTransferVendor {
            var vendorId: String { "com.acme" }
            func handle(messageId: String?, data: JSONValue?, context: HandlerContext) async throws
                -> DataTransferAnswer
            {
                DataTransferAnswer(status: .accepted, data: ["n": 1])
            }
        }
        let (_, v16) = await booted(.v16, vendors: DataTransferVendors([Structured()]))
        let text = await send(v16, #"[2,"d1","DataTransfer",{"vendorId":"com.acme"}]"#, .v16)
        #expect(text.resultPayload == ["status": "Accepted", "data": #"{"n":1}"#])
        let (_, v201) = await booted(.v201, vendors: DataTransferVendors([Structured()]))
        let object = await send(v201, #"[2,"d1","DataTransfer",{"vendorId":"com.acme"}]"#, .v201)
        #expect(object.resultPayload == ["status": "Accepted", "data": ["n": 1]])
    }

    @Test(arguments: [OCPPVersion.v201, .v21])
    func notifyReportPagesAreStoredWithRequestIdSeqNoAndTbc(version: OCPPVersion) async throws {
        let (store, processor) = await booted(version)
        let page0 = #"""
            [2,"r0","NotifyReport",{"requestId":7,"generatedAt":"2025-01-01T00:00:00Z","tbc":true,"seqNo":0,
            "reportData":[{"component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"},
            "variableAttribute":[{"value":"300"}]}]}]
            """#
        let page1 = #"[2,"r1","NotifyReport",{"requestId":7,"generatedAt":"2025-01-01T00:00:00Z","seqNo":1}]"#
        #expect(await send(processor, page0, version).resultPayload == [:])
        #expect(await send(processor, page1, version).resultPayload == [:])
        // A retried page is answered again but stored once (idempotency, invariant 6).
        #expect(await send(processor, page1, version).resultPayload == [:])
        let pages = try await store.stationReports(of: cp1, action: "NotifyReport", requestId: 7, after: nil, limit: 9)
        #expect(pages.map(\.seqNo) == [0, 1])
        #expect(pages.map(\.tbc) == [true, false])
        #expect(pages.map(\.messageId) == ["r0", "r1"])
    }

    /// One valid request per report action, and the answer each gets.
    static let reports: [(action: String, payload: String, answer: JSONValue)] = [
        (
            "NotifyEvent",
            #"{"generatedAt":"2025-01-01T00:00:00Z","seqNo":0,"eventData":[{"eventId":1,"timestamp":"2025-01-01T00:00:00Z","trigger":"Alerting","actualValue":"1","eventNotificationType":"HardWiredNotification","component":{"name":"C"},"variable":{"name":"V"}}]}"#,
            [:]
        ),
        ("NotifyMonitoringReport", #"{"requestId":3,"seqNo":0,"generatedAt":"2025-01-01T00:00:00Z"}"#, [:]),
        (
            "NotifyCustomerInformation", #"{"data":"x","seqNo":0,"generatedAt":"2025-01-01T00:00:00Z","requestId":4}"#,
            [:]
        ),
        ("NotifyDisplayMessages", #"{"requestId":5}"#, [:]),
        ("ReservationStatusUpdate", #"{"reservationId":1,"reservationUpdateStatus":"Expired"}"#, [:]),
        (
            "ReportChargingProfiles",
            #"{"requestId":6,"chargingLimitSource":"CSO","evseId":1,"chargingProfile":[{"id":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":[{"id":1,"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16}]}]}]}"#,
            [:]
        ),
        ("NotifyChargingLimit", #"{"chargingLimit":{"chargingLimitSource":"EMS"}}"#, [:]),
        ("ClearedChargingLimit", #"{"chargingLimitSource":"EMS"}"#, [:]),
        (
            "NotifyEVChargingNeeds", #"{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"AC_single_phase"}}"#,
            ["status": "Rejected"]
        ),
        (
            "NotifyEVChargingSchedule",
            #"{"timeBase":"2025-01-01T00:00:00Z","evseId":1,"chargingSchedule":{"id":1,"chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":1000}]}}"#,
            ["status": "Accepted"]
        ),
    ]

    @Test(arguments: [OCPPVersion.v201, .v21])
    func everyReportActionIsAnsweredAndStored(version: OCPPVersion) async throws {
        let (store, processor) = await booted(version)
        for (n, report) in Self.reports.enumerated() {
            let result = await send(processor, #"[2,"n\#(n)","\#(report.action)",\#(report.payload)]"#, version)
            #expect(result.resultPayload == report.answer, "\(report.action): \(result)")
            let stored = try await store.stationReports(
                of: cp1, action: report.action, requestId: nil, after: nil, limit: 5)
            #expect(stored.count == 1, "\(report.action)")
            #expect(stored.first?.payload == (try JSONValue(parsing: report.payload)), "\(report.action)")
        }
        let all = try await store.stationReports(of: cp1, action: nil, requestId: nil, after: nil, limit: 50)
        #expect(all.count == Self.reports.count)
        #expect(all.first { $0.action == "ReportChargingProfiles" }?.requestId == 6)
    }
}
