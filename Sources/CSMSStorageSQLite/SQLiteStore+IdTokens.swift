public import CSMSCore
import Foundation
import GRDB

extension SQLiteStore {
    /// The registry entry of `idToken`, if any.
    public func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord? {
        try await readStatement { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM id_tokens WHERE id_token = ?"), arguments: [idToken]
            )
            .map(IdTokenRecord.init(row:))
        }
    }

    /// Registry entries ordered by token, after `after`, at most `limit`.
    public func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord] {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM id_tokens WHERE ? IS NULL OR id_token > ? ORDER BY id_token LIMIT ?",
                arguments: [after, after, limit]
            ).map(IdTokenRecord.init(row:))
        }
    }

    /// The local list the station holds, if any.
    public func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState? {
        try await read { db in
            guard
                let list = try Row.fetchOne(
                    db, sql: "SELECT * FROM local_lists WHERE charge_point_id = ?", arguments: [chargePointId.rawValue])
            else { return nil }
            let entries = try Row.fetchAll(
                db, sql: "SELECT * FROM local_list_entries WHERE charge_point_id = ? ORDER BY id_token",
                arguments: [chargePointId.rawValue]
            ).map(LocalListEntry.init(row:))
            return LocalListState(
                chargePointId: chargePointId, version: try list.decode(Int.self, forColumn: "version"),
                entries: entries,
                updatedAt: Date(unixMilliseconds: try list.decode(Int64.self, forColumn: "updated_at")))
        }
    }
}

extension StoreWrite {
    /// Inserts or replaces the registry entry (matched without regard to case), keeping
    /// `created_at` of an existing one; the token's spelling becomes the new one.
    static func upsertIdToken(_ record: IdTokenRecord, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO id_tokens (
                    id_token, type, status, expiry_date, group_id_token, charge_point_ids, evse_ids, language,
                    personal_message, external, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id_token) DO UPDATE SET
                    id_token = excluded.id_token, type = excluded.type, status = excluded.status, expiry_date = excluded.expiry_date,
                    group_id_token = excluded.group_id_token, charge_point_ids = excluded.charge_point_ids,
                    evse_ids = excluded.evse_ids, language = excluded.language,
                    personal_message = excluded.personal_message, external = excluded.external,
                    updated_at = excluded.updated_at
                """
        ).execute(arguments: [
            record.idToken, record.type, record.status.rawValue, record.expiryDate?.unixMilliseconds,
            record.groupIdToken, record.chargePointIds.map { $0.map(\.rawValue).joined(separator: ",") },
            record.evseIds.map { $0.map(String.init).joined(separator: ",") }, record.language,
            record.personalMessage, record.external, record.createdAt.unixMilliseconds,
            record.updatedAt.unixMilliseconds,
        ])
    }

    /// Deletes the registry entry, if any.
    static func deleteIdToken(_ idToken: String, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM id_tokens WHERE id_token = ?").execute(arguments: [idToken])
    }

    /// Replaces the station's local list (its foreign key fails the write with `.conflict`
    /// when the station is not registered).
    static func recordLocalList(_ list: LocalListState, _ db: Database) throws {
        let id = list.chargePointId.rawValue
        try db.cachedStatement(sql: "DELETE FROM local_lists WHERE charge_point_id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "INSERT INTO local_lists (charge_point_id, version, updated_at) VALUES (?, ?, ?)")
            .execute(arguments: [id, list.version, list.updatedAt.unixMilliseconds])
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO local_list_entries (charge_point_id, id_token, type, status, expiry_date, group_id_token)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        for entry in list.entries {
            try insert.execute(arguments: [
                id, entry.idToken, entry.type, entry.status.rawValue, entry.expiryDate?.unixMilliseconds,
                entry.groupIdToken,
            ])
        }
    }
}

extension IdTokenRecord {
    /// An entry from an `id_tokens` row.
    init(row: Row) throws {
        let chargePoints = try row.decode(String?.self, forColumn: "charge_point_ids").map { text in
            try text.split(separator: ",").map { part in
                guard let id = ChargePointID(String(part)) else {
                    throw StoreError(.internalError, "invalid charge_point_ids in the database")
                }
                return id
            }
        }
        let evses = try row.decode(String?.self, forColumn: "evse_ids").map { text in
            try text.split(separator: ",").map { part in
                guard let id = Int(part) else { throw StoreError(.internalError, "invalid evse_ids in the database") }
                return id
            }
        }
        self.init(
            idToken: try row.decode(forColumn: "id_token"), type: try row.decode(forColumn: "type"),
            status: AuthorizationStatus(rawValue: try row.decode(forColumn: "status")),
            expiryDate: try row.decode(Int64?.self, forColumn: "expiry_date").map(Date.init(unixMilliseconds:)),
            groupIdToken: try row.decode(forColumn: "group_id_token"), chargePointIds: chargePoints, evseIds: evses,
            language: try row.decode(forColumn: "language"),
            personalMessage: try row.decode(forColumn: "personal_message"),
            external: try row.decode(forColumn: "external"),
            createdAt: Date(unixMilliseconds: try row.decode(Int64.self, forColumn: "created_at")),
            updatedAt: Date(unixMilliseconds: try row.decode(Int64.self, forColumn: "updated_at")))
    }
}

extension LocalListEntry {
    /// An entry from a `local_list_entries` row.
    init(row: Row) throws {
        self.init(
            idToken: try row.decode(forColumn: "id_token"), type: try row.decode(forColumn: "type"),
            status: AuthorizationStatus(rawValue: try row.decode(forColumn: "status")),
            expiryDate: try row.decode(Int64?.self, forColumn: "expiry_date").map(Date.init(unixMilliseconds:)),
            groupIdToken: try row.decode(forColumn: "group_id_token"))
    }
}
