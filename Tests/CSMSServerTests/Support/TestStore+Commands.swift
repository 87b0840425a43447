import CSMSCore
import Foundation

// Operator-command reads of the switchable test store: forwarded to the in-memory store.
extension TestStore {
    func command(_ id: String) async throws(StoreError) -> CommandRecord? {
        try await store.command(id)
    }

    func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord] {
        try await store.commands(of: id, before: before, limit: limit)
    }

    func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport] {
        try await store.stationReports(of: id, action: action, requestId: requestId, after: after, limit: limit)
    }

    func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue] {
        try await store.configurationValues(of: id)
    }
}
