import CSMSCore
import Foundation

// Operator-command reads of the fault-injecting store: forwarded to the in-memory store.
extension FaultInjectingStore {
    func command(_ id: String) async throws(StoreError) -> CommandRecord? {
        try await base.command(id)
    }

    func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord] {
        try await base.commands(of: id, before: before, limit: limit)
    }

    func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport] {
        try await base.stationReports(of: id, action: action, requestId: requestId, after: after, limit: limit)
    }

    func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue] {
        try await base.configurationValues(of: id)
    }
}
