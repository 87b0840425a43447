public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A commit whose last write fails (a connector status for a charge point that is not
    /// registered: `.conflict`) leaves nothing of its earlier writes.
    public static func failedCommitLeavesNothing(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let existing = cp("CP-EXISTING")
        try await store.commit([register(existing)])

        let fresh = cp("CP-FRESH")
        let ghost = cp("CP-GHOST")
        let error = await storeError { () async throws(StoreError) in
            try await store.commit([
                register(fresh),
                .recordSeen(id: existing, at: t(5)),
                .recordConnectorStatus(status(existing, evse: 1, connector: 1, "Available", at: t(5))),
                .storeResponse(response(existing, "m1", at: t(5))),
                .addDeadLetter(deadLetter(existing, 1)),
                .recordConnectorStatus(status(ghost, evse: 1, connector: 1, "Available", at: t(5))),
            ])
        }
        #expect(error?.code == .conflict)

        #expect(try await store.chargePoint(fresh) == nil)
        #expect(try await store.chargePoint(ghost) == nil)
        let point = try await required(store, existing)
        #expect(point.lastSeen == nil)
        #expect(point.stateVersion == 1)
        #expect(try await store.connectorStatuses(of: existing).isEmpty)
        #expect(try await store.statusHistory(of: existing, limit: 10).isEmpty)
        #expect(try await store.storedResponse(chargePointId: existing, messageId: "m1") == nil)
        #expect(try await store.deadLetters(chargePointId: nil, after: nil, limit: 10).isEmpty)

        // The store still works, and the dead-letter id sequence did not break.
        try await store.commit([.addDeadLetter(deadLetter(existing, 2))])
        let letters = try await store.deadLetters(chargePointId: nil, after: nil, limit: 10)
        #expect(letters.count == 1)
        #expect(letters.first?.id != nil)
    }

    /// Writes of one commit apply in order: a status may follow the boot that registers
    /// its station in the same commit.
    public static func laterWriteSeesEarlierWriteOfSameCommit(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-ORDER")
        let available = status(id, evse: 1, connector: 1, "Available", at: t(1))
        try await store.commit([
            .recordBoot(
                id: id, info: bootInfo, status: .accepted, protocolVersion: "ocpp2.0.1", at: t0, register: true),
            .recordConnectorStatus(available),
            .upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .rejected, at: t(2))),
            .upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .accepted, at: t(3))),
        ])
        let point = try await required(store, id)
        #expect(point.registrationStatus == .accepted)
        #expect(point.stateVersion == 4)
        #expect(point.updatedAt == t(3))
        #expect(try await store.connectorStatuses(of: id) == [available])
    }

    /// 100 concurrent commits are all applied, none lost.
    public static func concurrentCommitsAllApplied(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let shared = cp("CP-SHARED")
        try await store.commit([register(shared)])

        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<100 {
                group.addTask {
                    let id = cp(String(format: "CP-C%03d", n))
                    try await store.commit([
                        register(id, at: t(Double(n))),
                        .recordConnectorStatus(status(id, evse: 1, connector: 1, "Available", at: t(Double(n)))),
                        .recordSeen(id: shared, at: t(Double(n))),
                        .storeResponse(response(shared, "m\(n)", at: t(Double(n)))),
                        .addDeadLetter(deadLetter(id, n)),
                    ])
                }
            }
            try await group.waitForAll()
        }

        let points = try await store.chargePoints(after: nil, limit: 1000)
        #expect(points.count == 101)
        #expect(try await required(store, shared).stateVersion == 101)
        for n in [0, 42, 99] {
            let id = cp(String(format: "CP-C%03d", n))
            #expect(try await store.connectorStatuses(of: id).count == 1)
            #expect(try await store.storedResponse(chargePointId: shared, messageId: "m\(n)") != nil)
        }
        let letters = try await store.deadLetters(chargePointId: nil, after: nil, limit: 1000)
        #expect(letters.count == 100)
        #expect(Set(letters.compactMap(\.id)).count == 100)
        #expect(Set(letters.map(\.attempts)) == Set(0..<100))
    }

    /// A commit that fails among concurrent ones fails alone: the others are applied.
    public static func failingCommitDoesNotFailConcurrentOnes(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let outcomes = try await withThrowingTaskGroup(of: (Int, StoreError?).self) { group in
            for n in 0..<60 {
                group.addTask {
                    let id = cp(String(format: "CP-F%03d", n))
                    let failing = n % 4 == 0
                    let error = await storeError { () async throws(StoreError) in
                        try await store.commit([
                            .addDeadLetter(deadLetter(id, n)),
                            failing ? .recordSeen(id: id, at: t0) : register(id),
                            .recordConnectorStatus(status(id, connector: 1, "Available", at: t0)),
                        ])
                    }
                    return (n, error)
                }
            }
            var outcomes: [Int: StoreError?] = [:]
            for try await (n, error) in group { outcomes[n] = error }
            return outcomes
        }
        for n in 0..<60 {
            let id = cp(String(format: "CP-F%03d", n))
            if n % 4 == 0 {
                #expect(outcomes[n]??.code == .conflict, "commit \(n) should fail")
                #expect(try await store.chargePoint(id) == nil)
                #expect(try await store.deadLetters(chargePointId: id, after: nil, limit: 10).isEmpty)
            } else {
                #expect(outcomes[n]! == nil, "commit \(n) should succeed")
                #expect(try await store.connectorStatuses(of: id).count == 1)
                #expect(try await store.deadLetters(chargePointId: id, after: nil, limit: 10).count == 1)
            }
        }
    }

    /// An empty commit succeeds and changes nothing; a working store is reachable.
    public static func emptyCommitAndReachability(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        try await store.commit([])
        #expect(try await store.chargePoints(after: nil, limit: 10).isEmpty)
        #expect(await store.isReachable())
    }
}
