import CSMSCore
import Foundation
import Testing

/// The pure transaction state machine and ledger decisions, without a store.
@Suite("Transaction state machine")
struct TransactionStateMachineTests {
    static let active: [TransactionState] = [.started, .evConnected, .charging, .suspendedEV, .suspendedEVSE, .idle]

    @Test func startOfUnknownTransactionTakesTheReportedState() {
        #expect(TransactionStateMachine.apply(.started, to: nil) == .init(from: nil, to: .started))
        #expect(
            TransactionStateMachine.apply(.started, reporting: .charging, to: nil) == .init(from: nil, to: .charging))
        // A reported `Ended`/`Started` is not a charging state and is ignored.
        #expect(TransactionStateMachine.apply(.started, reporting: .ended, to: nil).to == .started)
    }

    @Test(arguments: TransactionStateMachineTests.active)
    func activeStatesMoveFreelyAndEnd(from state: TransactionState) {
        for target in Self.active where target != .started {
            let t = TransactionStateMachine.apply(.updated, reporting: target, to: state)
            #expect(t == .init(from: state, to: target), "\(state) -> \(target)")
        }
        #expect(TransactionStateMachine.apply(.updated, to: state) == .init(from: state, to: state))
        #expect(
            TransactionStateMachine.apply(.ended, reporting: .charging, to: state) == .init(from: state, to: .ended))
        let again = TransactionStateMachine.apply(.started, to: state)
        #expect(again.anomaly == "duplicate_start" && again.to == state)
    }

    @Test func eventsAfterEndAreAnomaliesWithBothStates() {
        let cases: [(TransactionEventKind, String)] = [
            (.started, "start_after_end"), (.updated, "update_after_end"), (.ended, "duplicate_end"),
        ]
        for (event, anomaly) in cases {
            let t = TransactionStateMachine.apply(event, reporting: .charging, to: .ended)
            #expect(t == .init(from: .ended, to: .ended, anomaly: anomaly))
            #expect(!t.isValid)
        }
    }

    @Test func updateOrEndWithoutStartIsFlagged() {
        #expect(
            TransactionStateMachine.apply(.updated, reporting: .idle, to: nil)
                == .init(from: nil, to: .idle, anomaly: "missing_start"))
        #expect(
            TransactionStateMachine.apply(.ended, to: nil) == .init(from: nil, to: .ended, anomaly: "missing_start"))
    }

    @Test func tableListsEveryState() {
        for state in TransactionState.allCases { #expect(TransactionStateMachine.validTargets[state] != nil) }
        #expect(TransactionStateMachine.validTargets[.ended] == [])
        #expect(TransactionStateMachine.validTargets[nil]?.contains(.ended) == false)
        #expect(TransactionState(chargingState: "Charging") == .charging)
        #expect(TransactionState(chargingState: "Ended") == nil && TransactionState(chargingState: "x") == nil)
    }

    // MARK: Ledger decisions (what the stores persist)

    static let cp = ChargePointID("CP-L")!
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    static func update(_ kind: TransactionEventKind, ocpp16: Int? = nil, meterStop: Double? = nil) -> TransactionUpdate
    {
        TransactionUpdate(
            chargePointId: cp, transactionId: ocpp16.map(String.init) ?? "T", ocpp16Id: ocpp16, kind: kind,
            timestamp: t0, connectorId: 1, meterStart: kind == .started ? 10 : nil, meterStop: meterStop,
            messageId: "m", receivedAt: t0)
    }

    @Test func unknown16StopCreatesNothing() {
        let outcome = TransactionLedger.apply(Self.update(.ended, ocpp16: 5, meterStop: 9), existing: nil)
        #expect(outcome.transaction == nil && !outcome.recordsEvent)
        #expect(outcome.anomalies.map(\.kind) == ["unknown_transaction"])
        #expect(outcome.anomalies.first?.detail.contains("meterStop 9") == true)
        let foreign = TransactionLedger.apply(
            Self.update(.ended, ocpp16: 5, meterStop: 9), existing: nil, foreignOwner: ChargePointID("CP-O")!)
        #expect(foreign.anomalies.map(\.kind) == ["foreign_transaction"])
    }

    @Test func futureTimestampIsFlaggedButKept() {
        var u = Self.update(.started)
        u.timestamp = Self.t0.addingTimeInterval(301)
        let outcome = TransactionLedger.apply(u, existing: nil)
        #expect(outcome.anomalies.map(\.kind) == ["timestamp_in_future"])
        #expect(outcome.transaction?.state == .started)
        u.timestamp = Self.t0.addingTimeInterval(299)
        #expect(TransactionLedger.apply(u, existing: nil).anomalies.isEmpty)
    }

    @Test func energyRegisterUnits() {
        func s(_ v: String, unit: String? = nil, m: Int? = nil, measurand: String? = nil, phase: String? = nil)
            -> MeterSample
        {
            MeterSample(
                chargePointId: Self.cp, timestamp: Self.t0, value: v, measurand: measurand, phase: phase, unit: unit,
                multiplier: m, receivedAt: Self.t0)
        }
        #expect(s("12").energyRegisterWh == 12)
        #expect(s("1.5", unit: "kWh").energyRegisterWh == 1500)
        #expect(s("2", unit: "Wh", m: 3).energyRegisterWh == 2000)
        #expect(s("2", unit: "W").energyRegisterWh == nil)
        #expect(s("2", measurand: "Power.Active.Import").energyRegisterWh == nil)
        #expect(s("2", phase: "L1").energyRegisterWh == nil)
        #expect(s("abc").energyRegisterWh == nil)
    }
}
