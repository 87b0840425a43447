public import CSMSCore
public import Foundation
import GRDB
import OCPP

// Command records, station reports and cached configuration values on SQLite (tables of the
// v7_ migrations, SQLiteSchema+Commands.swift). JSON payloads are kept as TEXT.

extension StoreWrite {
    /// Inserts the record, or replaces the stored one unless that has a higher state rank.
    static func saveCommand(_ record: CommandRecord, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO commands (
                    id, charge_point_id, action, protocol_version, message_id, payload, state, state_rank,
                    created_at, sent_at, completed_at, response, error, late)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    state = excluded.state, state_rank = excluded.state_rank, sent_at = excluded.sent_at,
                    completed_at = excluded.completed_at, response = excluded.response, error = excluded.error,
                    late = excluded.late
                WHERE excluded.state_rank >= commands.state_rank
                """,
            arguments: [
                record.id, record.chargePointId.rawValue, record.action, record.protocolVersion, record.messageId,
                record.payload.jsonText, record.state.rawValue, record.state.rank,
                record.createdAt.unixMilliseconds, record.sentAt?.unixMilliseconds,
                record.completedAt?.unixMilliseconds, record.response?.jsonText, record.error?.jsonText,
                record.late,
            ])
    }

    /// Appends a station report.
    static func addStationReport(_ report: StationReport, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO station_reports (
                    charge_point_id, action, protocol_version, message_id, request_id, seq_no, tbc, payload,
                    received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                report.chargePointId.rawValue, report.action, report.protocolVersion, report.messageId,
                report.requestId, report.seqNo, report.tbc, report.payload.jsonText,
                report.receivedAt.unixMilliseconds,
            ])
    }

    /// Upserts each value by (station, key).
    static func saveConfigurationValues(_ values: [ConfigurationValue], _ db: Database) throws {
        for value in values {
            try db.run(
                sql: """
                    INSERT INTO configuration_values (charge_point_id, key, value, readonly, updated_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (charge_point_id, key) DO UPDATE SET
                        value = excluded.value, readonly = coalesce(excluded.readonly, readonly),
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    value.chargePointId.rawValue, value.key, value.value, value.readonly,
                    value.updatedAt.unixMilliseconds,
                ])
        }
    }
}

extension SQLiteStore {
    /// The command, if stored.
    public func command(_ id: String) async throws(StoreError) -> CommandRecord? {
        try await readCommands { db in
            try Row.fetchOne(db, sql: "SELECT * FROM commands WHERE id = ?", arguments: [id])
                .map(CommandRecord.init(row:))
        }
    }

    /// The station's commands, newest first, created before `before`, at most `limit`.
    public func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord] {
        guard limit > 0 else { return [] }
        return try await readCommands { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM commands WHERE charge_point_id = ? AND (? IS NULL OR created_at < ?)
                    ORDER BY created_at DESC, id DESC LIMIT ?
                    """,
                arguments: [id.rawValue, before?.unixMilliseconds, before?.unixMilliseconds, limit]
            ).map(CommandRecord.init(row:))
        }
    }

    /// The station's reports by id, optionally of one action and request id.
    public func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport] {
        guard limit > 0 else { return [] }
        return try await readCommands { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM station_reports
                    WHERE charge_point_id = ? AND (? IS NULL OR action = ?) AND (? IS NULL OR request_id = ?)
                        AND id > coalesce(?, 0)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [id.rawValue, action, action, requestId, requestId, after, limit]
            ).map(StationReport.init(row:))
        }
    }

    /// The station's cached configuration values by key.
    public func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue] {
        try await readCommands { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM configuration_values WHERE charge_point_id = ? ORDER BY key",
                arguments: [id.rawValue]
            ).map(ConfigurationValue.init(row:))
        }
    }

    private func readCommands<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(StoreError) -> T {
        try await mappingErrors { try await database.read(body) }
    }
}

private func invalidColumn(_ column: String) -> StoreError {
    StoreError(.internalError, "invalid \(column) in the database")
}

extension Row {
    fileprivate func json(_ column: String) throws -> JSONValue? {
        guard let text = try decode(String?.self, forColumn: column) else { return nil }
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw invalidColumn(column)
        }
    }

    fileprivate func station(_ column: String) throws -> ChargePointID {
        guard let id = ChargePointID(try decode(String.self, forColumn: column)) else { throw invalidColumn(column) }
        return id
    }

    fileprivate func milliseconds(_ column: String) throws -> Date? {
        try decode(Int64?.self, forColumn: column).map(Date.init(unixMilliseconds:))
    }
}

extension CommandRecord {
    init(row: Row) throws {
        guard let state = CommandState(rawValue: try row.decode(String.self, forColumn: "state")) else {
            throw invalidColumn("state")
        }
        guard let payload = try row.json("payload"), let createdAt = try row.milliseconds("created_at") else {
            throw invalidColumn("payload")
        }
        self.init(
            id: try row.decode(forColumn: "id"), chargePointId: try row.station("charge_point_id"),
            action: try row.decode(forColumn: "action"), protocolVersion: try row.decode(forColumn: "protocol_version"),
            messageId: try row.decode(forColumn: "message_id"), payload: payload, state: state, createdAt: createdAt,
            sentAt: try row.milliseconds("sent_at"), completedAt: try row.milliseconds("completed_at"),
            response: try row.json("response"), error: try row.json("error"), late: try row.decode(forColumn: "late"))
    }
}

extension StationReport {
    init(row: Row) throws {
        guard let payload = try row.json("payload"), let receivedAt = try row.milliseconds("received_at") else {
            throw invalidColumn("payload")
        }
        self.init(
            id: try row.decode(forColumn: "id"), chargePointId: try row.station("charge_point_id"),
            action: try row.decode(forColumn: "action"), protocolVersion: try row.decode(forColumn: "protocol_version"),
            messageId: try row.decode(forColumn: "message_id"), requestId: try row.decode(forColumn: "request_id"),
            seqNo: try row.decode(forColumn: "seq_no"), tbc: try row.decode(forColumn: "tbc"), payload: payload,
            receivedAt: receivedAt)
    }
}

extension ConfigurationValue {
    init(row: Row) throws {
        guard let updatedAt = try row.milliseconds("updated_at") else { throw invalidColumn("updated_at") }
        self.init(
            chargePointId: try row.station("charge_point_id"), key: try row.decode(forColumn: "key"),
            value: try row.decode(forColumn: "value"), readonly: try row.decode(forColumn: "readonly"),
            updatedAt: updatedAt)
    }
}

extension JSONValue {
    /// The compact JSON text.
    fileprivate var jsonText: String { String(decoding: serialized(), as: UTF8.self) }
}
