public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// `upsertChargePoint` creates a missing charge point (version 1) and then changes only
    /// the fields it sets.
    public static func upsertCreatesAndUpdates(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-UPSERT")
        #expect(try await store.chargePoint(id) == nil)

        try await store.commit([
            .upsertChargePoint(ChargePointUpdate(id: id, passwordHash: "hash-1", registrationStatus: .pending, at: t0))
        ])
        #expect(
            try await store.chargePoint(id)
                == ChargePoint(
                    id: id, registrationStatus: .pending, passwordHash: "hash-1", stateVersion: 1, createdAt: t0,
                    updatedAt: t0))

        try await store.commit([.upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .accepted, at: t(10)))]
        )
        var point = try await required(store, id)
        #expect(point.registrationStatus == .accepted)
        #expect(point.passwordHash == "hash-1")
        #expect(point.createdAt == t0)
        #expect(point.updatedAt == t(10))
        #expect(point.stateVersion == 2)

        try await store.commit([.upsertChargePoint(ChargePointUpdate(id: id, passwordHash: "hash-2", at: t(20)))])
        point = try await required(store, id)
        #expect(point.registrationStatus == .accepted)
        #expect(point.passwordHash == "hash-2")
        #expect(point.stateVersion == 3)

        try await store.commit([.upsertChargePoint(ChargePointUpdate(id: id, at: t(30)))])
        point = try await required(store, id)
        #expect(point.registrationStatus == .accepted)
        #expect(point.passwordHash == "hash-2")
        #expect(point.updatedAt == t(30))
    }

    /// `recordBoot` creates a missing charge point only when `register` is true, and always
    /// updates an existing one.
    public static func recordBootRegistersOnlyWhenAsked(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let unknown = cp("CP-UNKNOWN")
        try await store.commit([
            .recordBoot(
                id: unknown, info: bootInfo, status: .rejected, protocolVersion: "ocpp2.0.1", at: t0, register: false)
        ])
        #expect(try await store.chargePoint(unknown) == nil)

        let auto = cp("CP-AUTO")
        try await store.commit([
            .recordBoot(
                id: auto, info: bootInfo, status: .accepted, protocolVersion: "ocpp2.0.1", at: t0, register: true)
        ])
        #expect(
            try await store.chargePoint(auto)
                == ChargePoint(
                    id: auto, bootStatus: .accepted, boot: bootInfo, lastBootAt: t0, protocolVersion: "ocpp2.0.1",
                    lastSeen: t0, stateVersion: 1, createdAt: t0, updatedAt: t0))

        let known = cp("CP-KNOWN")
        try await store.commit([register(known)])
        let info16 = BootInfo(
            vendor: "V", model: "M", chargeBoxSerialNumber: "CB", iccid: "I", imsi: "S", meterType: "MT",
            meterSerialNumber: "MS")
        try await store.commit([
            .recordBoot(
                id: known, info: info16, status: .pending, protocolVersion: "ocpp1.6", at: t(5), register: false)
        ])
        let point = try await required(store, known)
        #expect(point.boot == info16)
        #expect(point.bootStatus == .pending)
        #expect(point.registrationStatus == .accepted)
        #expect(point.protocolVersion == "ocpp1.6")
        #expect(point.lastBootAt == t(5))
        #expect(point.lastSeen == t(5))
        #expect(point.createdAt == t0)
        #expect(point.updatedAt == t(5))
        #expect(point.stateVersion == 2)
    }

    /// `recordSeen` sets `lastSeen` of a registered charge point and leaves a missing one
    /// absent without failing.
    public static func recordSeenSetsLastSeen(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-SEEN")
        try await store.commit([register(id)])
        try await store.commit([.recordSeen(id: id, at: t(60))])
        let point = try await required(store, id)
        #expect(point.lastSeen == t(60))
        #expect(point.updatedAt == t(60))
        #expect(point.stateVersion == 2)

        let missing = cp("CP-SEEN-MISSING")
        try await store.commit([.recordSeen(id: missing, at: t(60))])
        #expect(try await store.chargePoint(missing) == nil)
    }

    /// Every applied write that changes a station's state adds one to that station's
    /// `stateVersion` and no other's; an out-of-order status (history only) adds nothing.
    public static func stateVersionCountsChangesPerStation(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-A")
        let b = cp("CP-B")
        try await store.commit([register(a), register(b)])
        #expect(try await required(store, a).stateVersion == 1)
        #expect(try await required(store, b).stateVersion == 1)

        try await store.commit([
            .recordBoot(
                id: a, info: bootInfo, status: .accepted, protocolVersion: "ocpp2.0.1", at: t(1), register: false),
            .recordSeen(id: a, at: t(2)),
            .recordConnectorStatus(status(a, evse: 1, connector: 1, "Available", at: t(3))),
        ])
        #expect(try await required(store, a).stateVersion == 4)
        #expect(try await required(store, b).stateVersion == 1)

        try await store.commit([.recordConnectorStatus(status(a, evse: 1, connector: 1, "Occupied", at: t(1)))])
        #expect(try await required(store, a).stateVersion == 4)

        try await store.commit([
            .storeResponse(response(a, "m1", at: t(4))), .addDeadLetter(deadLetter(a, 1)),
        ])
        #expect(try await required(store, a).stateVersion == 4)

        try await store.commit([.recordSeen(id: b, at: t(5))])
        #expect(try await required(store, a).stateVersion == 4)
        #expect(try await required(store, b).stateVersion == 2)
    }

    /// `chargePoints(after:limit:)` pages through every charge point in id order.
    public static func chargePointsPage(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let ids = (0..<25).map { cp(String(format: "CP-%03d", $0)) }
        try await store.commit(ids.reversed().map { register($0) })

        var seen: [ChargePointID] = []
        var after: ChargePointID?
        var pages: [Int] = []
        while true {
            let page = try await store.chargePoints(after: after, limit: 10)
            if page.isEmpty { break }
            pages.append(page.count)
            seen += page.map(\.id)
            after = page.last?.id
        }
        #expect(pages == [10, 10, 5])
        #expect(seen == ids)
        #expect(try await store.chargePoints(after: cp("CP-0235"), limit: 100).map(\.id) == Array(ids[24...]))
    }

    /// A `limit` of zero or less lists nothing (it never means "no limit").
    public static func nonPositiveLimitsListNothing(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-LIMIT")
        try await store.commit([
            register(id), .recordConnectorStatus(status(id, connector: 1, "Available", at: t0)),
            .addDeadLetter(deadLetter(id, 1)),
        ])
        for limit in [0, -1] {
            #expect(try await store.chargePoints(after: nil, limit: limit).isEmpty)
            #expect(try await store.statusHistory(of: id, limit: limit).isEmpty)
            #expect(try await store.deadLetters(chargePointId: nil, after: nil, limit: limit).isEmpty)
        }
    }

    /// Dates are kept to the millisecond (rounded to the nearest).
    public static func datesKeptToTheMillisecond(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-MS")
        let fine = t0.addingTimeInterval(0.123_456)
        let expected = Date(timeIntervalSince1970: 1_750_000_000.123)
        try await store.commit([
            .upsertChargePoint(ChargePointUpdate(id: id, at: fine)),
            .recordConnectorStatus(status(id, connector: 1, "Available", at: fine, receivedAt: fine)),
            .storeResponse(response(id, "m1", at: fine)),
            .addDeadLetter(deadLetter(id, 1, at: fine)),
        ])
        let point = try await required(store, id)
        #expect(point.createdAt == expected)
        #expect(point.updatedAt == expected)
        #expect(try await store.connectorStatuses(of: id).first?.timestamp == expected)
        #expect(try await store.statusHistory(of: id, limit: 1).first?.receivedAt == expected)
        #expect(try await store.storedResponse(chargePointId: id, messageId: "m1")?.storedAt == expected)
        #expect(try await store.deadLetters(chargePointId: id, after: nil, limit: 1).first?.receivedAt == expected)
    }
}
