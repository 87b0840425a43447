public import CSMSCore
import Foundation
import Testing

// Transaction rules every store follows (docs/transactions.md).

extension StoreConformance {

    /// A 2.x event.
    static func event(
        _ cp: ChargePointID, _ tx: String, _ kind: TransactionEventKind, seq: Int, at: Date, evse: Int? = 1,
        connector: Int? = 1, token: String? = nil, state: TransactionState? = nil, samples: [(Date, String)] = [],
        context: String? = nil, supersedes: Bool = true
    ) -> StoreWrite {
        .transaction(
            .event(
                TransactionUpdate(
                    chargePointId: cp, transactionId: tx, kind: kind, seqNo: seq, timestamp: at, evseId: evse,
                    connectorId: connector, idToken: token.map { AuthorizationToken(id: $0, type: "ISO14443") },
                    authorizationStatus: token == nil ? nil : .accepted, chargingState: state,
                    triggerReason: "Trigger", stopReason: kind == .ended ? "EVDisconnected" : nil,
                    samples: samples.map { sample(cp, $0.0, $0.1, context: context, evse: evse) },
                    supersedesActive: supersedes, messageId: "m-\(tx)-\(seq)", receivedAt: at)))
    }

    /// A 1.6 start or stop.
    static func event16(
        _ cp: ChargePointID, _ id: Int, _ kind: TransactionEventKind, at: Date, connector: Int = 1, tag: String = "TAG",
        meter: Double, reason: String? = nil
    ) -> StoreWrite {
        .transaction(
            .event(
                TransactionUpdate(
                    chargePointId: cp, transactionId: String(id), ocpp16Id: id, kind: kind, timestamp: at,
                    connectorId: kind == .started ? connector : nil, idToken: AuthorizationToken(id: tag),
                    authorizationStatus: .accepted, stopReason: reason ?? (kind == .ended ? "Local" : nil),
                    meterStart: kind == .started ? meter : nil, meterStop: kind == .ended ? meter : nil,
                    messageId: "m\(id)\(kind.rawValue)", receivedAt: at)))
    }

    /// An energy register sample.
    static func sample(_ cp: ChargePointID, _ at: Date, _ value: String, context: String? = nil, evse: Int? = 1)
        -> MeterSample
    {
        MeterSample(
            chargePointId: cp, evseId: evse, timestamp: at, value: value, measurand: "Energy.Active.Import.Register",
            unit: "Wh", context: context, receivedAt: at)
    }

    static func kinds(_ store: any CSMSStore, _ cp: ChargePointID, _ tx: String) async throws -> [String] {
        try await store.transactionAnomalies(chargePointId: cp, transactionId: tx).map(\.kind)
    }

    /// Started, Updated (Charging), Ended: state, meter start/stop from the samples, events,
    /// samples by timestamp.
    public static func transactionLifecycle2x(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-LIFE")
        try await store.commit([
            event(
                cp, "T1", .started, seq: 0, at: t(0), token: "A1", samples: [(t(0), "1000")],
                context: "Transaction.Begin")
        ])
        var tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.state == .started && tx.meterStart == 1000 && tx.idToken?.id == "A1" && tx.evseId == 1)
        #expect(tx.startedAt == t(0) && tx.stoppedAt == nil && tx.sequence > 0 && tx.ocpp16Id == nil)
        try await store.commit([
            event(cp, "T1", .updated, seq: 1, at: t(60), state: .charging, samples: [(t(60), "1500")])
        ])
        tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.state == .charging && tx.lastEnergyWh == 1500 && tx.energyWh == 500)
        try await store.commit([
            event(
                cp, "T1", .ended, seq: 2, at: t(120), state: .evConnected, samples: [(t(120), "2500")],
                context: "Transaction.End")
        ])
        tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.state == .ended && tx.stoppedAt == t(120) && tx.meterStop == 2500 && tx.energyWh == 1500)
        #expect(tx.stopReason == "EVDisconnected" && tx.eventCount == 3 && tx.seqNoGaps == 0 && tx.maxSeqNo == 2)
        let samples = try await store.meterSamples(chargePointId: cp, transactionId: "T1", limit: 10)
        #expect(samples.map(\.value) == ["1000", "1500", "2500"])
        #expect(samples.allSatisfy { $0.transactionId == "T1" })
        #expect(try await kinds(store, cp, "T1").isEmpty)
    }

    /// The same (station, transaction, seqNo) again changes nothing, also with other content.
    public static func duplicateSeqNoChangesNothing(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-DUP")
        let first = event(cp, "T1", .started, seq: 0, at: t(0), samples: [(t(0), "10")])
        try await store.commit([first])
        let before = try await store.transaction(chargePointId: cp, transactionId: "T1")
        try await store.commit([first])
        try await store.commit([event(cp, "T1", .ended, seq: 0, at: t(9), samples: [(t(9), "99")])])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "T1") == before)
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "T1", limit: 10).count == 1)
        #expect(try await kinds(store, cp, "T1").isEmpty)
        // Another station may use the same transaction id and seqNo.
        try await store.commit([event(StoreConformance.cp("CP-TX-DUP-2"), "T1", .started, seq: 0, at: t(0))])
        #expect(try await store.transactions(withId: "T1").count == 2)
    }

    /// Missing seqNos between the lowest and the highest are counted; a new transaction
    /// starting again at 0 is fine.
    public static func seqNoGapsCounted(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-GAP")
        try await store.commit([
            event(cp, "T1", .started, seq: 0, at: t(0)), event(cp, "T1", .updated, seq: 2, at: t(1)),
            event(cp, "T1", .ended, seq: 5, at: t(2)),
        ])
        let tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.seqNoGaps == 3 && tx.minSeqNo == 0 && tx.maxSeqNo == 5 && tx.eventCount == 3)
        try await store.commit([
            event(cp, "T2", .started, seq: 0, at: t(3)), event(cp, "T2", .updated, seq: 1, at: t(4)),
        ])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "T2")?.seqNoGaps == 0)
    }

    /// The 1.6 dedupe key (station, connector, idTag, timestamp, meterStart): the same start
    /// with the same id changes nothing, with another id fails with `.conflict`.
    public static func start16DedupeKey(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-16")
        try await store.commit([event16(cp, 7, .started, at: t(0), meter: 100)])
        try await store.commit([event16(cp, 7, .started, at: t(0), meter: 100)])
        let error = await storeError { () async throws(StoreError) in
            try await store.commit([event16(cp, 8, .started, at: t(0), meter: 100)])
        }
        #expect(error?.code == .conflict)
        #expect(try await store.transaction(chargePointId: cp, transactionId: "8") == nil)
        let found = try await store.startedTransaction16(
            chargePointId: cp, connectorId: 1, idTag: "TAG", timestamp: t(0), meterStart: 100)
        #expect(found?.ocpp16Id == 7 && found?.eventCount == 1 && found?.authorizationStatus == .accepted)
        #expect(
            try await store.startedTransaction16(
                chargePointId: cp, connectorId: 1, idTag: "TAG", timestamp: t(0), meterStart: 101) == nil)
    }

    /// A 1.6 stop for an unknown id or another station's id is an anomaly and creates or
    /// changes nothing; a second different stop is `duplicate_end`; the same stop again is
    /// nothing.
    public static func stop16UnknownForeignAndRepeated(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-TX-STOP-A")
        let b = cp("CP-TX-STOP-B")
        try await store.commit([event16(b, 1, .started, at: t(0), meter: 0)])
        let bBefore = try await store.transaction(chargePointId: b, transactionId: "1")
        try await store.commit([event16(a, 1, .ended, at: t(5), meter: 50), event16(a, 99, .ended, at: t(5), meter: 5)])
        #expect(try await store.transaction(chargePointId: b, transactionId: "1") == bBefore)
        #expect(try await store.transaction(chargePointId: a, transactionId: "1") == nil)
        #expect(try await store.transaction(chargePointId: a, transactionId: "99") == nil)
        #expect(try await kinds(store, a, "1") == ["foreign_transaction"])
        #expect(try await kinds(store, a, "99") == ["unknown_transaction"])

        try await store.commit([event16(b, 1, .ended, at: t(10), meter: 40)])
        let ended = try #require(try await store.transaction(chargePointId: b, transactionId: "1"))
        #expect(ended.state == .ended && ended.meterStop == 40 && ended.energyWh == 40 && ended.stopReason == "Local")
        try await store.commit([event16(b, 1, .ended, at: t(10), meter: 40)])
        #expect(try await kinds(store, b, "1").isEmpty)
        try await store.commit([event16(b, 1, .ended, at: t(20), meter: 45, reason: "Remote")])
        let anomalies = try await store.transactionAnomalies(chargePointId: b, transactionId: "1")
        #expect(anomalies.map(\.kind) == ["duplicate_end"])
        #expect(anomalies.first?.fromState == "Ended" && anomalies.first?.toState == "Ended")
        #expect(try await store.transaction(chargePointId: b, transactionId: "1")?.meterStop == 40)
    }

    /// A start on a connector with an active transaction closes the stale one as
    /// `Superseded`, or (when asked not to) records `concurrent_start` and keeps both.
    public static func startSupersedesStaleTransaction(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-SUP")
        try await store.commit([
            event(cp, "OLD", .started, seq: 0, at: t(0)), event(cp, "NEW", .started, seq: 0, at: t(5)),
        ])
        let old = try #require(try await store.transaction(chargePointId: cp, transactionId: "OLD"))
        #expect(old.state == .ended && old.stopReason == "Superseded" && old.stoppedAt == t(5))
        #expect(try await kinds(store, cp, "OLD") == ["superseded"])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "NEW")?.state == .started)
        // Another connector is not touched.
        try await store.commit([event(cp, "OTHER", .started, seq: 0, at: t(6), evse: 2)])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "NEW")?.state == .started)

        try await store.commit([event(cp, "KEEP", .started, seq: 0, at: t(7), evse: 2, supersedes: false)])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "OTHER")?.state == .started)
        #expect(try await kinds(store, cp, "KEEP") == ["concurrent_start"])
    }

    /// Events the state machine refuses are kept as anomalies with both states; data stays.
    public static func invalidTransitionsRecordedWithBothStates(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-SM")
        try await store.commit([
            event(cp, "T1", .started, seq: 0, at: t(0)), event(cp, "T1", .ended, seq: 1, at: t(10)),
            event(cp, "T1", .updated, seq: 2, at: t(11), state: .charging, samples: [(t(11), "5")]),
        ])
        let anomaly = try #require(try await store.transactionAnomalies(chargePointId: cp, transactionId: "T1").first)
        #expect(anomaly.kind == "update_after_end" && anomaly.fromState == "Ended" && anomaly.toState == "Charging")
        #expect(anomaly.messageId == "m-T1-2" && anomaly.id != nil)
        let tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.state == .ended && tx.eventCount == 3)
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "T1", limit: 5).count == 1)

        try await store.commit([event(cp, "T2", .updated, seq: 3, at: t(20), state: .suspendedEV)])
        #expect(try await store.transaction(chargePointId: cp, transactionId: "T2")?.state == .suspendedEV)
        #expect(try await kinds(store, cp, "T2") == ["missing_start"])
    }

    /// meterStop below meterStart, a register going backwards, values outside the
    /// transaction's time and timestamps ahead of the clock are recorded, never refused.
    public static func meterSanityAnomalies(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-METER")
        try await store.commit([event16(cp, 1, .started, at: t(100), meter: 1000)])
        let values = MeterValuesUpdate(
            chargePointId: cp, transactionId: "1",
            samples: [
                sample(cp, t(110), "1200", evse: nil), sample(cp, t(120), "1100", evse: nil),
                sample(cp, t(50), "900", evse: nil), sample(cp, t(10_000), "1300", evse: nil),
            ],
            messageId: "mv", receivedAt: t(130))
        try await store.commit([.transaction(.meterValues(values))])
        try await store.commit([event16(cp, 1, .ended, at: t(140), meter: 500)])
        let kinds = try await kinds(store, cp, "1")
        #expect(
            kinds == [
                "energy_register_backwards", "meter_value_outside_transaction", "timestamp_in_future",
                "meter_stop_below_start",
            ])
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "1", limit: 10).count == 4)
        #expect(try await store.transaction(chargePointId: cp, transactionId: "1")?.state == .ended)
    }

    /// Transaction changes of a failed commit are forgotten, also by a store that keeps the rows
    /// it wrote (the SQLite writer's cache): the next MeterValues is judged against the stored
    /// energy, not the rolled-back one. Alone and among concurrent commits, where the failure
    /// makes the SQLite writer roll back and re-run the others each in a savepoint.
    public static func failedCommitForgetsTransactionChanges(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let ghost = cp("CP-TX-GHOST")
        let stations = (0..<12).map { cp("CP-TX-RB\($0)") }
        func values(_ cp: ChargePointID, _ at: Double, _ energy: String, _ id: String) -> StoreWrite {
            let n = stations.firstIndex(of: cp)!
            return .transaction(
                .meterValues(
                    MeterValuesUpdate(
                        chargePointId: cp, transactionId: String(100 + n),
                        samples: [sample(cp, t(at), energy, evse: nil)], messageId: id, receivedAt: t(at))))
        }
        for (n, station) in stations.enumerated() {
            try await store.commit([event16(station, 100 + n, .started, at: t(0), meter: 1000)])
            try await store.commit([values(station, 10, "1100", "a")])
        }
        // Every other station's commit fails after its MeterValues was applied.
        let failures = await withTaskGroup(of: (Int, Bool).self) { group in
            for (n, station) in stations.enumerated() {
                group.addTask {
                    var writes = [values(station, 20, "5000", "b")]
                    if n % 2 == 0 {
                        writes.append(.recordConnectorStatus(status(ghost, evse: 1, connector: 1, "Available", at: t0)))
                    }
                    let error = await storeError { () async throws(StoreError) in try await store.commit(writes) }
                    return (n, error != nil)
                }
            }
            var failures: [Int: Bool] = [:]
            for await (n, failed) in group { failures[n] = failed }
            return failures
        }
        for (n, station) in stations.enumerated() {
            #expect(failures[n] == (n % 2 == 0))
            let energy = try await store.transaction(chargePointId: station, transactionId: String(100 + n))?
                .lastEnergyWh
            #expect(energy == (n % 2 == 0 ? 1100 : 5000), "station \(n)")
        }
        // 1,200 Wh is forwards from the stored 1,100 Wh: no anomaly where the commit failed.
        for (n, station) in stations.enumerated() where n % 2 == 0 {
            try await store.commit([values(station, 30, "1200", "c")])
            let tx = try #require(try await store.transaction(chargePointId: station, transactionId: String(100 + n)))
            #expect(tx.lastEnergyWh == 1200)
            #expect(try await kinds(store, station, String(100 + n)).isEmpty, "station \(n)")
        }
    }

    /// Identical samples are stored once; signed data and every field come back as given;
    /// values for an unknown transaction are kept with an anomaly.
    public static func meterValuesStoredOnceAndVerbatim(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-MV")
        let signed = MeterSample(
            chargePointId: cp, transactionId: "42", connectorId: 2, timestamp: t(1), value: "<signed/>",
            measurand: "Energy.Active.Import.Register", phase: "L1", location: "Outlet", unit: "kWh", multiplier: 3,
            context: "Sample.Periodic", format: "SignedData", signedData: "<signed/>", receivedAt: t(1))
        let update = MeterValuesUpdate(
            chargePointId: cp, transactionId: "42", samples: [signed], messageId: "m1", receivedAt: t(1))
        try await store.commit([.transaction(.meterValues(update))])
        try await store.commit([.transaction(.meterValues(update))])
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "42", limit: 10) == [signed])
        #expect(try await kinds(store, cp, "42") == ["unknown_transaction", "unknown_transaction"])
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "42", limit: 0).isEmpty)
    }

    /// Reserved 1.6 ids only increase and are never handed out twice.
    public static func reservedTransactionIdsNeverRepeat(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = try await store.reserveTransactionIds(count: 3)
        let b = try await store.reserveTransactionIds(count: 1)
        #expect(a.count == 3 && b.count == 1 && a.lowerBound >= 1 && b.lowerBound > a.upperBound)
    }

    /// Listing: newest first, by station, active or ended, start time window, cursor, limit.
    public static func transactionListingFiltersAndPages(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-TX-LIST-A")
        let b = cp("CP-TX-LIST-B")
        try await store.commit([
            event(a, "A1", .started, seq: 0, at: t(0)), event(a, "A1", .ended, seq: 1, at: t(5)),
            event(a, "A2", .started, seq: 0, at: t(10)), event(b, "B1", .started, seq: 0, at: t(20)),
        ])
        let all = try await store.transactions(matching: TransactionQuery(limit: 10))
        #expect(all.map(\.transactionId) == ["B1", "A2", "A1"])
        #expect(try await store.transactions(matching: TransactionQuery(chargePointId: a, limit: 10)).count == 2)
        #expect(
            try await store.transactions(matching: TransactionQuery(active: false, limit: 10)).map(\.transactionId)
                == ["A1"])
        #expect(
            try await store.transactions(matching: TransactionQuery(active: true, limit: 10)).map(\.transactionId)
                == ["B1", "A2"])
        #expect(
            try await store.transactions(
                matching: TransactionQuery(startedFrom: t(10), startedBefore: t(20), limit: 10)
            )
            .map(\.transactionId) == ["A2"])
        let page = try await store.transactions(matching: TransactionQuery(beforeSequence: all[0].sequence, limit: 1))
        #expect(page.map(\.transactionId) == ["A2"])
        #expect(try await store.transactions(matching: TransactionQuery(limit: 0)).isEmpty)
    }

    /// Active transactions are counted by token id, without the excluded one.
    public static func activeTransactionCountByToken(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-TOKEN")
        try await store.commit([
            event(cp, "T1", .started, seq: 0, at: t(0), evse: 1, token: "TOK"),
            event(cp, "T2", .started, seq: 0, at: t(0), evse: 2, token: "TOK"),
            event(cp, "T3", .started, seq: 0, at: t(0), evse: 3, token: "TOK"),
            event(cp, "T3", .ended, seq: 1, at: t(1), evse: 3),
        ])
        let token = AuthorizationToken(id: "TOK")
        #expect(try await store.activeTransactionCount(token: token, excludingTransactionId: nil) == 2)
        #expect(try await store.activeTransactionCount(token: token, excludingTransactionId: "T1") == 1)
        #expect(
            try await store.activeTransactionCount(token: AuthorizationToken(id: "X"), excludingTransactionId: nil) == 0
        )
        let anomalies = try await store.transactionAnomalies(chargePointId: nil, after: nil, limit: 10)
        #expect(anomalies.isEmpty)
    }

    /// Concurrent commits for one transaction (two connections of a station) are applied one
    /// after the other: none is lost, none doubled; of two concurrent identical 1.6 starts
    /// with different ids exactly one is stored.
    public static func concurrentEventsForOneTransactionSerialized(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-RACE")
        try await store.commit([event(cp, "T1", .started, seq: 0, at: t(0))])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for seq in 1...20 {
                group.addTask {
                    try await store.commit([
                        event(cp, "T1", .updated, seq: seq, at: t(Double(seq)), samples: [(t(Double(seq)), "\(seq)")])
                    ])
                }
            }
            try await group.waitForAll()
        }
        let tx = try #require(try await store.transaction(chargePointId: cp, transactionId: "T1"))
        #expect(tx.eventCount == 21 && tx.maxSeqNo == 20 && tx.seqNoGaps == 0 && tx.lastEnergyWh == 20)
        #expect(try await store.meterSamples(chargePointId: cp, transactionId: "T1", limit: 100).count == 20)

        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for id in [100, 101] {
                group.addTask {
                    await storeError { () async throws(StoreError) in
                        try await store.commit([event16(cp, id, .started, at: t(50), connector: 2, meter: 7)])
                    } == nil
                }
            }
            var results: [Bool] = []
            for await ok in group { results.append(ok) }
            return results
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let stored = try await store.startedTransaction16(
            chargePointId: cp, connectorId: 2, idTag: "TAG", timestamp: t(50), meterStart: 7)
        #expect(stored?.ocpp16Id == 100 || stored?.ocpp16Id == 101)
    }

    /// A transaction that starts, changes state or ends changes the station's shadow: its
    /// `stateVersion` goes up by one (a registered station only); meter values and repeats do not.
    public static func transactionChangesBumpStateVersion(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let cp = cp("CP-TX-VERSION")
        try await store.commit([register(cp)])
        let v0 = try await required(store, cp).stateVersion
        try await store.commit([event(cp, "T1", .started, seq: 0, at: t(1))])
        #expect(try await required(store, cp).stateVersion == v0 + 1)
        #expect(try await required(store, cp).updatedAt == t(1))
        try await store.commit([event(cp, "T1", .updated, seq: 1, at: t(2), samples: [(t(2), "5")])])
        try await store.commit([event(cp, "T1", .updated, seq: 1, at: t(2))])
        #expect(try await required(store, cp).stateVersion == v0 + 1)
        try await store.commit([event(cp, "T1", .updated, seq: 2, at: t(3), state: .charging)])
        try await store.commit([event(cp, "T1", .ended, seq: 3, at: t(4))])
        #expect(try await required(store, cp).stateVersion == v0 + 3)
        // A station that is not registered is not created.
        try await store.commit([event(StoreConformance.cp("CP-TX-NOBODY"), "T1", .started, seq: 0, at: t(1))])
        #expect(try await store.chargePoint(StoreConformance.cp("CP-TX-NOBODY")) == nil)
    }
}
