public import Foundation

/// The reads behind remote start and stop (`POST /charge-points/{id}/remote-start`,
/// docs/commands.md "Remote start and stop"): a durable sequence of `remoteStartId`s and the
/// lookups that find the transaction a remote start produced.
public protocol RemoteStartStoreReading: Sendable {
    /// Reserves a new 2.x `remoteStartId` durably: positive, unique across the system and never
    /// handed out again (also after a restart or on another node sharing the database).
    func reserveRemoteStartId() async throws(StoreError) -> Int

    /// The station's most recently stored transaction that carries `remoteStartId` (2.x
    /// `transactionInfo.remoteStartId`), if any.
    func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError) -> Transaction?

    /// The first 1.6 transaction of the station (by `sequence`) started on `connectorId` (any
    /// connector when `nil`) with `idTag`, first stored at or after `storedFrom`, if any.
    func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction?
}
