public import CSMSCore
import Foundation
import Testing

// Remote start reads every store answers alike (docs/commands.md "Remote start and stop").

extension StoreConformance {
    /// A 2.x Started event carrying `remoteStartId`.
    static func remoteStarted(_ cp: ChargePointID, _ tx: String, remoteStartId: Int?, at: Date) -> StoreWrite {
        .transaction(
            .event(
                TransactionUpdate(
                    chargePointId: cp, transactionId: tx, kind: .started, seqNo: 0, timestamp: at, evseId: 1,
                    connectorId: 1, triggerReason: "RemoteStart", remoteStartId: remoteStartId,
                    messageId: "m-\(cp.rawValue)-\(tx)", receivedAt: at)))
    }

    /// Reserved remote start ids are positive and never repeat.
    public static func reservedRemoteStartIdsNeverRepeat(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        var seen: [Int] = []
        for _ in 0..<5 { seen.append(try await store.reserveRemoteStartId()) }
        #expect(seen.allSatisfy { $0 > 0 })
        #expect(Set(seen).count == 5)
        #expect(seen == seen.sorted())
        // The 1.6 transaction id sequence is a different one.
        let ids = try await store.reserveTransactionIds(count: 1)
        #expect(ids.lowerBound == 1)
    }

    /// A transaction is found by its station and `remoteStartId`; another station's with the
    /// same id is not, and an unknown id finds nothing.
    public static func transactionFoundByRemoteStartId(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-RS-A")
        let b = cp("CP-RS-B")
        try await store.commit([
            remoteStarted(a, "TA-1", remoteStartId: 7, at: t(1)),
            remoteStarted(b, "TB-1", remoteStartId: 7, at: t(2)),
            remoteStarted(a, "TA-2", remoteStartId: 8, at: t(3)),
            remoteStarted(a, "TA-3", remoteStartId: nil, at: t(4)),
        ])
        #expect(try await store.transaction(chargePointId: a, remoteStartId: 7)?.transactionId == "TA-1")
        #expect(try await store.transaction(chargePointId: b, remoteStartId: 7)?.transactionId == "TB-1")
        #expect(try await store.transaction(chargePointId: a, remoteStartId: 8)?.transactionId == "TA-2")
        #expect(try await store.transaction(chargePointId: a, remoteStartId: 9) == nil)
        #expect(try await store.transaction(chargePointId: b, remoteStartId: 8) == nil)
    }

    /// The first 1.6 start on the connector with the idTag stored at or after a time; other
    /// tags, connectors, stations and earlier starts do not count; no connector means any.
    public static func firstTransaction16AfterTime(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-RS16-A")
        let b = cp("CP-RS16-B")
        try await store.commit([event16(a, 101, .started, at: t(1), connector: 1, tag: "TAG", meter: 0)])
        try await store.commit([event16(a, 102, .started, at: t(5), connector: 1, tag: "TAG", meter: 10)])
        try await store.commit([event16(a, 103, .started, at: t(6), connector: 1, tag: "OTHER", meter: 20)])
        try await store.commit([event16(a, 104, .started, at: t(7), connector: 2, tag: "TAG", meter: 30)])
        try await store.commit([event16(b, 105, .started, at: t(8), connector: 1, tag: "TAG", meter: 40)])
        func first(_ cp: ChargePointID, _ connector: Int?, _ tag: String, _ from: Date) async throws -> Int? {
            try await store.firstTransaction16(chargePointId: cp, connectorId: connector, idTag: tag, storedFrom: from)?
                .ocpp16Id
        }
        #expect(try await first(a, 1, "TAG", t(0)) == 101)
        #expect(try await first(a, 1, "TAG", t(1)) == 101)
        #expect(try await first(a, 1, "TAG", t(1.5)) == 102)
        #expect(try await first(a, 1, "OTHER", t(0)) == 103)
        #expect(try await first(a, nil, "TAG", t(6)) == 104)
        #expect(try await first(a, 2, "TAG", t(0)) == 104)
        #expect(try await first(a, 1, "TAG", t(7)) == nil)
        #expect(try await first(b, nil, "TAG", t(0)) == 105)
        #expect(try await first(b, 1, "OTHER", t(0)) == nil)
    }
}
