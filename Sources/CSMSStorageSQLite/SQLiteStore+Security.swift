public import CSMSCore
import Foundation
import GRDB

// The security feature's reads and writes on SQLite (tables: SQLiteSchema+Security.swift).

extension SQLiteStore {
    /// The station's own security profile, if one is set.
    public func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int? {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT security_profile FROM station_security_profiles WHERE charge_point_id = ?",
                arguments: [id.rawValue])
        }
    }

    /// Security events, optionally of one station, ordered by id, after `after`, at most `limit`.
    public func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM security_events
                    WHERE (? IS NULL OR charge_point_id = ?) AND id > coalesce(?, 0)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [chargePointId?.rawValue, chargePointId?.rawValue, after, limit]
            ).map(SecurityEvent.init(securityRow:))
        }
    }

    /// Tracked certificates, optionally of one station, soonest expiry first.
    public func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM station_certificates WHERE (? IS NULL OR charge_point_id = ?)
                    ORDER BY not_after, charge_point_id, serial_number
                    """,
                arguments: [id?.rawValue, id?.rawValue]
            ).map(StationCertificate.init(securityRow:))
        }
    }

    /// Every API token record, ordered by name.
    public func apiTokens() async throws(StoreError) -> [APITokenRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY name").map(APITokenRecord.init(securityRow:))
        }
    }
}

extension StoreWrite {
    static func setSecurityProfile(_ id: ChargePointID, _ profile: Int?, _ at: Date, _ db: Database) throws {
        guard let profile else {
            try db.run(
                sql: "DELETE FROM station_security_profiles WHERE charge_point_id = ?", arguments: [id.rawValue])
            return
        }
        try db.run(
            sql: """
                INSERT INTO station_security_profiles (charge_point_id, security_profile, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (charge_point_id) DO UPDATE SET
                    security_profile = excluded.security_profile, updated_at = excluded.updated_at
                """,
            arguments: [id.rawValue, profile, at.unixMilliseconds])
    }

    static func addSecurityEvent(_ event: SecurityEvent, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO security_events
                    (charge_point_id, source, type, tech_info, occurred_at, received_at, remote_address)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.chargePointId.rawValue, event.source.rawValue, event.type, event.techInfo,
                event.occurredAt.unixMilliseconds, event.receivedAt.unixMilliseconds, event.remoteAddress,
            ])
    }

    static func recordStationCertificate(_ certificate: StationCertificate, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT OR REPLACE INTO station_certificates
                    (charge_point_id, serial_number, certificate_type, subject, not_before, not_after, pem, issued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                certificate.chargePointId.rawValue, certificate.serialNumber, certificate.certificateType,
                certificate.subject, certificate.notBefore.unixMilliseconds, certificate.notAfter.unixMilliseconds,
                certificate.pem, certificate.issuedAt.unixMilliseconds,
            ])
    }

    static func putAPIToken(_ token: APITokenRecord, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT OR REPLACE INTO api_tokens (name, lookup_id, hash, scope, created_at) VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [token.name, token.lookupId, token.hash, token.scope.rawValue, token.createdAt.unixMilliseconds])
    }

    static func deleteAPIToken(_ name: String, _ db: Database) throws {
        try db.run(sql: "DELETE FROM api_tokens WHERE name = ?", arguments: [name])
    }
}

/// A stored value that cannot be read back (a row written by a newer version, or damaged).
private struct SecurityRowError: Error, CustomStringConvertible {
    let description: String
}

extension Row {
    fileprivate func securityDate(_ column: String) throws -> Date {
        guard let value: Int64 = self[column] else { throw SecurityRowError(description: "\(column) is NULL") }
        return Date(unixMilliseconds: value)
    }

    fileprivate func securityText(_ column: String) throws -> String {
        guard let value: String = self[column] else { throw SecurityRowError(description: "\(column) is NULL") }
        return value
    }

    fileprivate func securityChargePointID(_ column: String) throws -> ChargePointID {
        guard let id = ChargePointID(try securityText(column)) else {
            throw SecurityRowError(description: "invalid charge point id in \(column)")
        }
        return id
    }
}

extension SecurityEvent {
    fileprivate init(securityRow row: Row) throws {
        guard let source = Source(rawValue: try row.securityText("source")) else {
            throw SecurityRowError(description: "unknown security event source")
        }
        self.init(
            id: row["id"], chargePointId: try row.securityChargePointID("charge_point_id"), source: source,
            type: try row.securityText("type"), techInfo: row["tech_info"],
            occurredAt: try row.securityDate("occurred_at"), receivedAt: try row.securityDate("received_at"),
            remoteAddress: row["remote_address"])
    }
}

extension StationCertificate {
    fileprivate init(securityRow row: Row) throws {
        self.init(
            chargePointId: try row.securityChargePointID("charge_point_id"),
            serialNumber: try row.securityText("serial_number"),
            certificateType: try row.securityText("certificate_type"), subject: try row.securityText("subject"),
            notBefore: try row.securityDate("not_before"), notAfter: try row.securityDate("not_after"),
            pem: try row.securityText("pem"), issuedAt: try row.securityDate("issued_at"))
    }
}

extension APITokenRecord {
    fileprivate init(securityRow row: Row) throws {
        guard let scope = Scope(rawValue: try row.securityText("scope")) else {
            throw SecurityRowError(description: "unknown API token scope")
        }
        self.init(
            name: try row.securityText("name"), lookupId: try row.securityText("lookup_id"),
            hash: try row.securityText("hash"), scope: scope, createdAt: try row.securityDate("created_at"))
    }
}
