import CSMSCore
import Foundation
import GRDB

extension StoreWrite {
    /// Applies the write inside the current transaction (rules: docs/storage.md); `cache` is
    /// the writer's transaction rows (`TransactionRowCache`), `nil` to read them from `db`.
    func apply(_ db: Database, cache: TransactionRowCache? = nil) throws {
        switch self {
        case .upsertChargePoint(let update):
            let at = update.at.unixMilliseconds
            try db.run(
                sql: """
                    INSERT INTO charge_points
                        (id, registration_status, password_hash, state_version, created_at, updated_at)
                    VALUES (?, ?, ?, 1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        registration_status = coalesce(excluded.registration_status, registration_status),
                        password_hash = coalesce(excluded.password_hash, password_hash),
                        state_version = state_version + 1,
                        updated_at = excluded.updated_at
                    """,
                arguments: [update.id.rawValue, update.registrationStatus?.rawValue, update.passwordHash, at, at])

        case .recordBoot(let id, let info, let status, let protocolVersion, let at, let register):
            let at = at.unixMilliseconds
            if register {
                try db.run(
                    sql: """
                        INSERT INTO charge_points (id, state_version, created_at, updated_at) VALUES (?, 0, ?, ?)
                        ON CONFLICT (id) DO NOTHING
                        """,
                    arguments: [id.rawValue, at, at])
            }
            try db.run(
                sql: """
                    UPDATE charge_points SET
                        boot_status = ?, boot_vendor = ?, boot_model = ?, boot_serial_number = ?,
                        boot_charge_box_serial_number = ?, boot_firmware_version = ?, boot_iccid = ?,
                        boot_imsi = ?, boot_meter_type = ?, boot_meter_serial_number = ?, boot_reason = ?,
                        protocol_version = ?, last_boot_at = ?, last_seen = ?,
                        state_version = state_version + 1, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    status.rawValue, info.vendor, info.model, info.serialNumber, info.chargeBoxSerialNumber,
                    info.firmwareVersion, info.iccid, info.imsi, info.meterType, info.meterSerialNumber,
                    info.bootReason, protocolVersion, at, at, at, id.rawValue,
                ])

        case .recordSeen(let id, let at):
            let at = at.unixMilliseconds
            try db.run(
                sql: """
                    UPDATE charge_points SET last_seen = ?, state_version = state_version + 1, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [at, at, id.rawValue])

        case .recordConnectorStatus(let status):
            try Self.recordConnectorStatus(status, db)

        case .storeResponse(let response):
            try Self.storeResponse(response, db)
        case .storeResponseUnlessAnswered(let response, let notBefore):
            // The check is part of the upsert: it leaves a stored answer to the same request
            // (same digest, stored at or after `notBefore`) alone and then changes nothing. A
            // SELECT before the upsert cost a tenth of the writer's time in `sessions`.
            try Self.storeResponse(response, unlessAnsweredSince: notBefore, db)
            if db.changesCount == 0 {
                throw StoreError(.alreadyAnswered, "message \(response.messageId) was answered before")
            }

        case .addDeadLetter(let letter):
            try db.run(
                sql: """
                    INSERT INTO dead_letters
                        (charge_point_id, protocol_version, raw_frame, reason, error, received_at, attempts)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    letter.chargePointId.rawValue, letter.protocolVersion, letter.rawFrame, letter.reason,
                    letter.error, letter.receivedAt.unixMilliseconds, letter.attempts,
                ])

        case .recordDeadLetterAttempt(let id, let error):
            try db.run(
                sql: "UPDATE dead_letters SET attempts = attempts + 1, error = ? WHERE id = ?", arguments: [error, id])

        case .deleteDeadLetter(let id):
            try db.run(sql: "DELETE FROM dead_letters WHERE id = ?", arguments: [id])

        case .saveCommand(let record): try Self.saveCommand(record, db)
        case .addStationReport(let report): try Self.addStationReport(report, db)
        case .saveConfigurationValues(let values): try Self.saveConfigurationValues(values, db)
        case .transaction(let write): try Self.applyTransaction(write, db, cache: cache)
        case .upsertIdToken(let record): try Self.upsertIdToken(record, db)
        case .deleteIdToken(let idToken): try Self.deleteIdToken(idToken, db)
        case .recordLocalList(let list): try Self.recordLocalList(list, db)
        case .setSecurityProfile(let id, let profile, let at): try Self.setSecurityProfile(id, profile, at, db)
        case .addSecurityEvent(let event): try Self.addSecurityEvent(event, db)
        case .recordStationCertificate(let certificate): try Self.recordStationCertificate(certificate, db)
        case .putAPIToken(let token): try Self.putAPIToken(token, db)
        case .deleteAPIToken(let name): try Self.deleteAPIToken(name, db)
        case .recordAvailability(let event): try Self.recordAvailability(event, db)
        case .bindSerialNumber(let binding): try Self.bindSerialNumber(binding, db)
        case .clearSerialBinding(let id): try Self.clearSerialBinding(id, db)
        }
    }

    /// Stores (or replaces) the answer to a message; with `notBefore`, not one that replaces an
    /// answer to the same request (same digest) stored at or after that time.
    private static func storeResponse(
        _ response: StoredResponse, unlessAnsweredSince notBefore: Date? = nil, _ db: Database
    ) throws {
        let arguments: StatementArguments = [
            response.chargePointId.rawValue, response.messageId, response.requestDigest,
            Data(response.response), response.storedAt.unixMilliseconds,
        ]
        guard let notBefore else { return try db.run(sql: StoredResponseSQL.upsert, arguments: arguments) }
        try db.run(sql: StoredResponseSQL.guardedUpsert, arguments: arguments + [notBefore.unixMilliseconds])
    }

    /// Appends to the history (whose foreign key fails the write with `.conflict` when the
    /// station is not registered), then replaces the current status unless the stored one
    /// has a later timestamp.
    private static func recordConnectorStatus(_ status: ConnectorStatus, _ db: Database) throws {
        let timestamp = status.timestamp.unixMilliseconds
        let receivedAt = status.receivedAt.unixMilliseconds
        let values: StatementArguments = [
            status.status, status.errorCode, status.info, status.vendorId, status.vendorErrorCode, timestamp,
            receivedAt,
        ]
        let key: StatementArguments = [status.chargePointId.rawValue, status.evseId, status.connectorId]
        try db.run(
            sql: """
                INSERT INTO connector_status_history (
                    charge_point_id, evse_id, connector_id,
                    status, error_code, info, vendor_id, vendor_error_code, timestamp, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: key + values)

        // One upsert replaces the current status unless the stored one is later (`changesCount`
        // is 0 then, and the station's state version stays).
        try db.run(
            sql: """
                INSERT INTO connector_status (
                    charge_point_id, evse_id, connector_id,
                    status, error_code, info, vendor_id, vendor_error_code, timestamp, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (charge_point_id, coalesce(evse_id, -1), connector_id) DO UPDATE SET
                    status = excluded.status, error_code = excluded.error_code, info = excluded.info,
                    vendor_id = excluded.vendor_id, vendor_error_code = excluded.vendor_error_code,
                    timestamp = excluded.timestamp, received_at = excluded.received_at
                WHERE excluded.timestamp >= connector_status.timestamp
                """,
            arguments: key + values)
        guard db.changesCount > 0 else { return }
        try db.run(
            sql: "UPDATE charge_points SET state_version = state_version + 1, updated_at = ? WHERE id = ?",
            arguments: [receivedAt, status.chargePointId.rawValue])
    }
}

extension Database {
    /// Runs one statement, compiled once per connection and reused (the writer runs the same
    /// few statements all the time).
    func run(sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// Inserts `rows` with multi-row `INSERT … VALUES (…), (…)` statements of at most
    /// `chunk` rows: `head` is the statement up to `VALUES`, `tail` what follows the values
    /// (e.g. `ON CONFLICT DO NOTHING`), each row has `columns` arguments. One statement per
    /// chunk instead of one per row: fewer executions, and for AUTOINCREMENT tables one update
    /// of `sqlite_sequence` per statement instead of per row. Statements are cached per size.
    func insertRows(
        _ head: String, columns: Int, _ rows: [StatementArguments], tail: String = "", chunk: Int = 16
    ) throws {
        let tuple = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let end = min(start + chunk, rows.count)
            let values = Array(repeating: tuple, count: end - start).joined(separator: ", ")
            let sql = head + " VALUES " + values + " " + tail
            var arguments = StatementArguments()
            for row in rows[start..<end] { arguments += row }
            try cachedStatement(sql: sql).execute(arguments: arguments)
            start = end
        }
    }
}

/// The stored-answer upserts, built once (their text is the statement cache's key).
private enum StoredResponseSQL {
    static let upsert = """
        INSERT INTO stored_responses (charge_point_id, message_id, request_digest, response, stored_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (charge_point_id, message_id) DO UPDATE SET
            request_digest = excluded.request_digest,
            response = excluded.response,
            stored_at = excluded.stored_at
        """
    /// `upsert` that leaves an answer to the same request stored at or after `?` alone.
    static let guardedUpsert =
        upsert + """

            WHERE NOT (stored_responses.request_digest = excluded.request_digest
                AND stored_responses.stored_at >= ?)
            """
}
