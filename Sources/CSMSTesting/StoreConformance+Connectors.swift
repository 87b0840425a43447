public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A status becomes current unless the stored current one has a later `timestamp`; an
    /// out-of-order (older) notification is kept in the history only. The history lists
    /// newest received first.
    public static func connectorStatusKeepsLatestAsCurrent(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-STATUS")
        try await store.commit([register(id)])
        #expect(try await store.connectorStatuses(of: id).isEmpty)
        #expect(try await store.statusHistory(of: id, limit: 10).isEmpty)

        let charging = ConnectorStatus(
            chargePointId: id, connectorId: 1, status: "Charging", errorCode: "NoError", info: "info",
            vendorId: "vendor", vendorErrorCode: "E0", timestamp: t(10), receivedAt: t(11))
        try await store.commit([.recordConnectorStatus(charging)])
        #expect(try await store.connectorStatuses(of: id) == [charging])
        let version = try await required(store, id).stateVersion

        // Sent earlier by the station, received later: history only.
        let late = status(id, connector: 1, "Preparing", at: t(5), receivedAt: t(12))
        try await store.commit([.recordConnectorStatus(late)])
        #expect(try await store.connectorStatuses(of: id) == [charging])
        #expect(try await required(store, id).stateVersion == version)

        // Same timestamp: the newer notification wins.
        let same = status(id, connector: 1, "SuspendedEV", at: t(10), receivedAt: t(13))
        try await store.commit([.recordConnectorStatus(same)])
        #expect(try await store.connectorStatuses(of: id) == [same])

        let newer = status(id, connector: 1, "Finishing", at: t(20), receivedAt: t(21))
        try await store.commit([.recordConnectorStatus(newer)])
        #expect(try await store.connectorStatuses(of: id) == [newer])

        #expect(try await store.statusHistory(of: id, limit: 10) == [newer, same, late, charging])
        #expect(try await store.statusHistory(of: id, limit: 2) == [newer, same])

        // Two statuses received in the same millisecond: the one stored last comes first.
        let a = status(id, connector: 2, "Available", at: t(30), receivedAt: t(40))
        let b = status(id, connector: 3, "Available", at: t(30), receivedAt: t(40))
        try await store.commit([.recordConnectorStatus(a), .recordConnectorStatus(b)])
        #expect(try await store.statusHistory(of: id, limit: 2) == [b, a])
    }

    /// 1.6 connectors (`evseId` nil) and 2.x connectors with the same connector id are
    /// separate; statuses list by EVSE (1.6 first) then connector, per station.
    public static func connectorsOf16And2xKeptApart(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-MIXED")
        let other = cp("CP-OTHER")
        try await store.commit([register(id), register(other)])

        let evse2 = status(id, evse: 2, connector: 1, "Occupied", at: t(1))
        let evse1 = status(id, evse: 1, connector: 1, "Available", at: t(2))
        let v16c1 = status(id, connector: 1, "Charging", at: t(3))
        let v16c0 = status(id, connector: 0, "Available", at: t(4))
        let evse1c2 = status(id, evse: 1, connector: 2, "Faulted", at: t(5))
        let foreign = status(other, evse: 1, connector: 1, "Unavailable", at: t(6))
        try await store.commit([evse2, evse1, v16c1, v16c0, evse1c2, foreign].map { .recordConnectorStatus($0) })

        #expect(try await store.connectorStatuses(of: id) == [v16c0, v16c1, evse1, evse1c2, evse2])
        #expect(try await store.connectorStatuses(of: other) == [foreign])
        #expect(try await store.statusHistory(of: other, limit: 10) == [foreign])

        // Updating the 2.x connector 1 of EVSE 1 leaves the 1.6 connector 1 alone.
        let evse1Later = status(id, evse: 1, connector: 1, "Occupied", at: t(10))
        try await store.commit([.recordConnectorStatus(evse1Later)])
        #expect(try await store.connectorStatuses(of: id) == [v16c0, v16c1, evse1Later, evse1c2, evse2])
    }
}
