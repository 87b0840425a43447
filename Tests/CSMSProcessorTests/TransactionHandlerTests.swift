import CSMSCore
import Foundation
import Logging
import OCPP
import Synchronization
import Testing

@testable import CSMSProcessor

/// Accepts tokens starting with `OK`, blocks the others; records what it was asked.
final class PrefixAuthorizer: Authorizer {
    private let asked = Mutex<[AuthorizationRequest]>([])
    var requests: [AuthorizationRequest] { asked.withLock { $0 } }

    func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        asked.withLock { $0.append(request) }
        return AuthorizationDecision(
            status: request.token.id.hasPrefix("OK") ? .accepted : .blocked,
            groupToken: request.token.id == "OK-G" ? AuthorizationToken(id: "GROUP", type: "Central") : nil)
    }
}

/// The standard processor with an authorizer, over a test store (shared by several
/// processors to act as several nodes).
struct TransactionHarness {
    let store: FaultInjectingStore
    let clock = TestClock()
    let authorizer = PrefixAuthorizer()
    let processor: MessageProcessor

    init(store: FaultInjectingStore = FaultInjectingStore(), settings: TransactionSettings = TransactionSettings()) {
        self.store = store
        var configuration = ProcessorConfiguration.acceptingUnknown
        configuration.transactions = settings
        processor = MessageProcessor(
            store: store, configuration: configuration, services: HandlerServices(authorizer: authorizer),
            clock: clock, logger: Logger(label: "test"))
    }

    @discardableResult
    func send(_ text: String, _ session: StationSession) async -> InboundResult {
        await processor.handle(Array(text.utf8), session: session)
    }

    /// Boots `id` so that the registration gate lets its messages through.
    func boot(_ session: StationSession) async {
        let result = await send(session.version == .v16 ? boot16 : boot2x, session)
        precondition(result.resultPayload?["status"] == "Accepted")
    }

    func tx(_ id: String, _ cp: ChargePointID = cp1) async -> Transaction? {
        try? await store.transaction(chargePointId: cp, transactionId: id)
    }

    func anomalies(_ id: String, _ cp: ChargePointID = cp1) async -> [String] {
        ((try? await store.transactionAnomalies(chargePointId: cp, transactionId: id)) ?? []).map(\.kind)
    }
}

/// Clock of the harness is 2027-01-15T08:00:00Z; station timestamps are a little earlier.
func start16(_ mid: String, tag: String = "OK1", connector: Int = 1, meter: Int = 100, at: String = "07:50:00")
    -> String
{
    #"[2,"\#(mid)","StartTransaction",{"connectorId":\#(connector),"idTag":"\#(tag)","meterStart":\#(meter),"timestamp":"2027-01-15T\#(at)Z"}]"#
}

func stop16(_ mid: String, id: Int, meter: Int = 1100, tag: String? = nil, at: String = "07:59:00") -> String {
    let tagMember = tag.map { #","idTag":"\#($0)""# } ?? ""
    return
        #"[2,"\#(mid)","StopTransaction",{"transactionId":\#(id),"meterStop":\#(meter),"timestamp":"2027-01-15T\#(at)Z","reason":"EVDisconnected"\#(tagMember),"transactionData":[{"timestamp":"2027-01-15T\#(at)Z","sampledValue":[{"value":"\#(meter)","context":"Transaction.End","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]"#
}

func event2x(
    _ mid: String, _ type: String, seq: Int, tx: String = "TX-1", state: String? = nil, token: String? = nil,
    value: Int? = nil, at: String = "07:55:00", extra: String = ""
) -> String {
    let tokenMember = token.map { #","idToken":{"idToken":"\#($0)","type":"ISO14443"}"# } ?? ""
    let stateMember = state.map { #","chargingState":"\#($0)""# } ?? ""
    let meter =
        value.map {
            #","meterValue":[{"timestamp":"2027-01-15T\#(at)Z","sampledValue":[{"value":\#($0),"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}}]}]"#
        } ?? ""
    return
        #"[2,"\#(mid)","TransactionEvent",{"eventType":"\#(type)","timestamp":"2027-01-15T\#(at)Z","triggerReason":"Authorized","seqNo":\#(seq),"transactionInfo":{"transactionId":"\#(tx)"\#(stateMember)},"evse":{"id":1,"connectorId":1}\#(tokenMember)\#(meter)\#(extra)}]"#
}

/// The integer in a JSON number, if it is one.
func integer(_ value: JSONValue?) -> Int? {
    if case .number(let n)? = value { return n.integralValue }
    return nil
}

@Suite("Transaction handlers")
struct TransactionHandlerTests {
    @Test func start16AssignsUniqueIdsAndStoresUnacceptedTokensFlagged() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        let first = try #require(await h.send(start16("s1"), s).resultPayload)
        #expect(first == ["idTagInfo": ["status": "Accepted"], "transactionId": 1])
        let second = try #require(await h.send(start16("s2", tag: "BAD", connector: 2), s).resultPayload)
        #expect(second == ["idTagInfo": ["status": "Blocked"], "transactionId": 2])
        let blocked = try #require(await h.tx("2"))
        #expect(blocked.authorizationStatus == .blocked && blocked.state == .started && blocked.connectorId == 2)
        #expect(blocked.meterStart == 100 && blocked.ocpp16Id == 2)
        #expect(h.authorizer.requests.map(\.transactionId) == ["1", "2"])
        // The group token goes into parentIdTag.
        let group = try #require(await h.send(start16("s3", tag: "OK-G", connector: 3), s).resultPayload)
        #expect(group["idTagInfo"] == ["status": "Accepted", "parentIdTag": "GROUP"])
    }

    @Test func start16RetriedWithNewMessageIdGetsTheSameId() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        let first = await h.send(start16("s1"), s)
        let retry = await h.send(start16("s1-retry"), s)
        #expect(retry.resultPayload == first.resultPayload)
        let replay = await h.send(start16("s1"), s)
        #expect(replay.replyBytes == first.replyBytes)
        let all = try await h.store.transactions(matching: TransactionQuery(limit: 10))
        #expect(all.count == 1 && all.first?.eventCount == 1)
        // Other content is another transaction.
        #expect(await h.send(start16("s4", meter: 101), s).resultPayload?["transactionId"] == 2)
    }

    @Test func idsStayUniqueAcrossProcessorsAndRestarts() async throws {
        let store = FaultInjectingStore()
        let a = TransactionHarness(store: store, settings: TransactionSettings(idBlockSize: 3))
        let b = TransactionHarness(store: store, settings: TransactionSettings(idBlockSize: 3))
        let sa = session(.v16, ChargePointID("CP-A")!)
        let sb = session(.v16, ChargePointID("CP-B")!)
        await a.boot(sa)
        await b.boot(sb)
        var ids: [Int] = []
        for i in 0..<4 {
            for (h, s) in [(a, sa), (b, sb)] {
                let payload = await h.send(start16("m\(i)", connector: i + 1, meter: i), s).resultPayload
                ids.append(try #require(integer(payload?["transactionId"])))
            }
        }
        #expect(Set(ids).count == 8)
        #expect(ids.allSatisfy { $0 >= 1 })
    }

    @Test func stop16ClosesTheTransactionAndAnswersIdTagInfo() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        await h.send(start16("s1"), s)
        #expect(await h.send(stop16("t1", id: 1, tag: "OK1"), s).resultPayload == ["idTagInfo": ["status": "Accepted"]])
        let tx = try #require(await h.tx("1"))
        #expect(tx.state == .ended && tx.meterStop == 1100 && tx.energyWh == 1000 && tx.stopReason == "EVDisconnected")
        #expect(
            try await h.store.meterSamples(chargePointId: cp1, transactionId: "1", limit: 5).map(\.value) == ["1100"])
        #expect(await h.anomalies("1").isEmpty)
        // Without an idTag the answer is empty.
        await h.send(start16("s2", connector: 2), s)
        #expect(await h.send(stop16("t2", id: 2), s).resultPayload == [:])
    }

    @Test func stop16ForUnknownForeignOrEndedTransactionIsAcknowledgedAndRecorded() async throws {
        let h = TransactionHarness()
        let mine = session(.v16)
        let other = session(.v16, ChargePointID("CP-OTHER")!)
        await h.boot(mine)
        await h.boot(other)
        await h.send(start16("s1"), other)
        let before = await h.tx("1", other.chargePointId)
        #expect(await h.send(stop16("t1", id: 1), mine).resultPayload == [:])
        #expect(
            await h.send(stop16("t2", id: 77, tag: "OK1"), mine).resultPayload == ["idTagInfo": ["status": "Accepted"]])
        #expect(await h.tx("1", other.chargePointId) == before)
        #expect(await h.anomalies("1") == ["foreign_transaction"])
        #expect(await h.anomalies("77") == ["unknown_transaction"])
        // The station's data is kept.
        #expect(try await h.store.meterSamples(chargePointId: cp1, transactionId: "77", limit: 5).count == 1)

        await h.send(stop16("t3", id: 1), other)
        #expect(await h.send(stop16("t4", id: 1, meter: 1200), other).callError == nil)
        #expect(await h.anomalies("1", other.chargePointId) == ["duplicate_end"])
        #expect(await h.tx("1", other.chargePointId)?.meterStop == 1100)
    }

    @Test func secondStartOnBusyConnectorSupersedesOrIsFlagged() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        await h.send(start16("s1"), s)
        await h.send(start16("s2", tag: "OK2", at: "07:55:00"), s)
        let stale = await h.tx("1")
        #expect(stale?.state == .ended && stale?.stopReason == "Superseded")
        #expect(await h.anomalies("1") == ["superseded"])
        #expect(await h.tx("2")?.state == .started)

        let keep = TransactionHarness(settings: TransactionSettings(supersedeStaleTransactions: false))
        await keep.boot(s)
        await keep.send(start16("s1"), s)
        await keep.send(start16("s2", tag: "OK2", at: "07:55:00"), s)
        #expect(await keep.tx("1")?.state == .started)
        #expect(await keep.tx("2")?.state == .started)
        #expect(await keep.anomalies("2") == ["concurrent_start"])
    }

    @Test func meterValues16KeepsEveryFieldAndSignedData() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        await h.send(start16("s1"), s)
        let frame = #"""
            [2,"mv1","MeterValues",{"connectorId":1,"transactionId":1,"meterValue":[{"timestamp":"2027-01-15T07:51:00Z",
            "sampledValue":[{"value":"150","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic",
            "location":"Outlet"},{"value":"16.1","measurand":"Current.Import","phase":"L1","unit":"A"},
            {"value":"AQIDBA==","format":"SignedData","context":"Sample.Clock"}]}]}]
            """#
        #expect(await h.send(frame, s).resultPayload == [:])
        let samples = try await h.store.meterSamples(chargePointId: cp1, transactionId: "1", limit: 10)
        #expect(samples.count == 3)
        #expect(samples[0].measurand == "Energy.Active.Import.Register" && samples[0].location == "Outlet")
        #expect(samples[0].context == "Sample.Periodic" && samples[0].connectorId == 1)
        #expect(samples[1].phase == "L1" && samples[1].unit == "A" && samples[1].value == "16.1")
        #expect(samples[2].signedData == "AQIDBA==" && samples[2].format == "SignedData")
        #expect(await h.tx("1")?.lastEnergyWh == 150)
        // A retry with a new message id stores nothing twice.
        await h.send(frame.replacingOccurrences(of: "mv1", with: "mv2"), s)
        #expect(try await h.store.meterSamples(chargePointId: cp1, transactionId: "1", limit: 10).count == 3)
    }

    @Test(arguments: [OCPPVersion.v201, .v21])
    func transactionEventSessionWithIdTokenInfo(version: OCPPVersion) async throws {
        let h = TransactionHarness()
        let s = session(version)
        await h.boot(s)
        let started = await h.send(event2x("e0", "Started", seq: 0, token: "OK-T", value: 1000, at: "07:50:00"), s)
        #expect(started.resultPayload == ["idTokenInfo": ["status": "Accepted"]])
        #expect(h.authorizer.requests.last?.transactionId == "TX-1" && h.authorizer.requests.last?.evseId == 1)
        let updated = await h.send(event2x("e1", "Updated", seq: 1, state: "Charging", value: 1500, at: "07:55:00"), s)
        #expect(updated.resultPayload == [:])
        #expect(await h.tx("TX-1")?.state == .charging)
        let ended = await h.send(
            event2x(
                "e2", "Ended", seq: 2, state: "EVConnected", value: 2500, at: "07:59:00",
                extra: #","offline":true,"numberOfPhasesUsed":3,"cableMaxCurrent":32,"reservationId":4"#), s)
        #expect(ended.resultPayload == [:])
        let tx = try #require(await h.tx("TX-1"))
        #expect(tx.state == .ended && tx.meterStart == 1000 && tx.meterStop == 2500 && tx.energyWh == 1500)
        #expect(tx.offline && tx.numberOfPhasesUsed == 3 && tx.cableMaxCurrent == 32 && tx.reservationId == 4)
        #expect(tx.idToken == AuthorizationToken(id: "OK-T", type: "ISO14443") && tx.authorizationStatus == .accepted)
        #expect(
            tx.evseId == 1 && tx.connectorId == 1 && tx.lastTriggerReason == "Authorized" && tx.stopReason == "Local")
    }

    @Test func duplicateSeqNoGetsTheSameAnswerAndChangesNothing() async throws {
        let h = TransactionHarness()
        let s = session(.v201)
        await h.boot(s)
        let first = await h.send(event2x("e0", "Started", seq: 0, token: "OK-T", value: 1000), s)
        let before = await h.tx("TX-1")
        let again = await h.send(event2x("e0-again", "Started", seq: 0, token: "OK-T", value: 1000), s)
        #expect(again.resultPayload == first.resultPayload)
        #expect(await h.tx("TX-1") == before)
        #expect(try await h.store.meterSamples(chargePointId: cp1, transactionId: "TX-1", limit: 10).count == 1)
    }

    @Test func invalidTransitionsAreAcknowledgedNeverCallErrors() async throws {
        let h = TransactionHarness()
        let s = session(.v201)
        await h.boot(s)
        await h.send(event2x("e0", "Started", seq: 0), s)
        await h.send(event2x("e1", "Ended", seq: 1), s)
        #expect(await h.send(event2x("e2", "Updated", seq: 2, state: "Charging"), s).resultPayload == [:])
        #expect(await h.send(event2x("e3", "Started", seq: 3), s).resultPayload == [:])
        #expect(await h.send(event2x("e4", "Updated", seq: 9, tx: "NEVER-STARTED"), s).resultPayload == [:])
        #expect(await h.anomalies("TX-1") == ["update_after_end", "start_after_end"])
        #expect(await h.anomalies("NEVER-STARTED") == ["missing_start"])
        #expect(await h.tx("TX-1")?.state == .ended)
        #expect(await h.tx("TX-1")?.eventCount == 4)
    }

    @Test func seqNoGapsAreReported() async throws {
        let h = TransactionHarness()
        let s = session(.v201)
        await h.boot(s)
        await h.send(event2x("e0", "Started", seq: 0), s)
        await h.send(event2x("e3", "Updated", seq: 3), s)
        #expect(await h.tx("TX-1")?.seqNoGaps == 2)
        await h.send(event2x("e1", "Updated", seq: 1), s)
        #expect(await h.tx("TX-1")?.seqNoGaps == 1)
    }

    @Test(arguments: [OCPPVersion.v201, .v21])
    func meterValues2xStandaloneKeepsSignedMeterValueVerbatim(version: OCPPVersion) async throws {
        let h = TransactionHarness()
        let s = session(version)
        await h.boot(s)
        let frame = #"""
            [2,"mv","MeterValues",{"evseId":0,"meterValue":[{"timestamp":"2027-01-15T07:58:00Z","sampledValue":[
            {"value":12.5,"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh","multiplier":0},
            "signedMeterValue":{"signedMeterData":"ZGF0YQ==","signingMethod":"ECDSA","encodingMethod":"OCMF","publicKey":"a2V5"}}]}]}]
            """#
        #expect(await h.send(frame, s).resultPayload == [:])
        let anomalies = try await h.store.transactionAnomalies(chargePointId: nil, after: nil, limit: 10)
        #expect(anomalies.isEmpty)
        let sample = try #require(
            try await h.store.meterSamples(chargePointId: cp1, transactionId: nil, limit: 5).first)
        #expect(sample.value == "12.5" && sample.unit == "kWh" && sample.multiplier == 0 && sample.evseId == 0)
        let signed = try JSONValue(parsing: Array(try #require(sample.signedData).utf8))
        #expect(
            signed == [
                "signedMeterData": "ZGF0YQ==", "signingMethod": "ECDSA", "encodingMethod": "OCMF", "publicKey": "a2V5",
            ])
        let future = frame.replacingOccurrences(of: "2027-01-15T07:58:00Z", with: "2027-01-15T09:00:00Z")
            .replacingOccurrences(of: #""mv""#, with: #""mv2""#)
        #expect(await h.send(future, s).resultPayload == [:])
        #expect(
            try await h.store.transactionAnomalies(chargePointId: cp1, after: nil, limit: 10).map(\.kind) == [
                "timestamp_in_future"
            ])
    }

    @Test func storeReadFailureIsAnInternalErrorWithNothingStored() async throws {
        let h = TransactionHarness()
        let s = session(.v16)
        await h.boot(s)
        h.store.setFailingReads(true)
        let result = await h.send(start16("s1"), s)
        h.store.setFailingReads(false)
        #expect(result.callError?.code == .internalError)
        #expect(try await h.store.transactions(matching: TransactionQuery(limit: 10)).isEmpty)
    }
}
