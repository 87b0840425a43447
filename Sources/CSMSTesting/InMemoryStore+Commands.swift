public import CSMSCore
public import Foundation

/// The operator-command part of `InMemoryStore`'s state: command records, station reports and
/// cached configuration values, following the same rules as the SQLite store.
struct CommandMemoryState {
    var commands: [String: CommandRecord] = [:]
    var reports: [StationReport] = []
    var nextReportId: Int64 = 1
    var configuration: [ChargePointID: [String: ConfigurationValue]] = [:]

    /// Inserts or replaces, unless the stored record has a higher state rank.
    mutating func save(_ record: CommandRecord) {
        var record = record
        record.createdAt = record.createdAt.roundedToMilliseconds
        record.sentAt = record.sentAt?.roundedToMilliseconds
        record.completedAt = record.completedAt?.roundedToMilliseconds
        if var stored = commands[record.id] {
            guard record.state.rank >= stored.state.rank else { return }
            // Only the changing fields are replaced, as the SQLite upsert does.
            stored.state = record.state
            stored.sentAt = record.sentAt
            stored.completedAt = record.completedAt
            stored.response = record.response
            stored.error = record.error
            stored.late = record.late
            commands[record.id] = stored
        } else {
            commands[record.id] = record
        }
    }

    /// Appends with the next id.
    mutating func add(_ report: StationReport) {
        var report = report
        report.id = nextReportId
        report.receivedAt = report.receivedAt.roundedToMilliseconds
        nextReportId += 1
        reports.append(report)
    }

    /// Upserts by (station, key); a `nil` readonly keeps the stored one.
    mutating func save(_ values: [ConfigurationValue]) {
        for var value in values {
            value.updatedAt = value.updatedAt.roundedToMilliseconds
            if value.readonly == nil { value.readonly = configuration[value.chargePointId]?[value.key]?.readonly }
            configuration[value.chargePointId, default: [:]][value.key] = value
        }
    }
}

extension InMemoryStore {
    /// The command, if stored.
    public func command(_ id: String) async throws(StoreError) -> CommandRecord? {
        withCommandState { $0.commands[id] }
    }

    /// The station's commands, newest first (ties: id descending), created before `before`.
    public func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord] {
        guard limit > 0 else { return [] }
        let cutoff = before?.roundedToMilliseconds
        return withCommandState { s in
            let matching = s.commands.values.filter { record in
                record.chargePointId == id && (cutoff.map { record.createdAt < $0 } ?? true)
            }
            let sorted = matching.sorted { a, b in (a.createdAt, a.id) > (b.createdAt, b.id) }
            return Array(sorted.prefix(limit))
        }
    }

    /// The station's reports by id, optionally of one action and request id.
    public func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport] {
        guard limit > 0 else { return [] }
        return withCommandState { s in
            let matching = s.reports.lazy.filter { report in
                report.chargePointId == id && (action.map { report.action == $0 } ?? true)
                    && (requestId.map { report.requestId == $0 } ?? true) && (report.id ?? 0) > (after ?? 0)
            }
            return Array(matching.prefix(limit))
        }
    }

    /// The station's cached configuration values by key.
    public func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue] {
        withCommandState { s in (s.configuration[id] ?? [:]).values.sorted { $0.key < $1.key } }
    }
}
