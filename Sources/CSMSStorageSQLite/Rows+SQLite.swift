import CSMSCore
import Foundation
import GRDB

// Reading domain records from rows. A value the schema allows but the domain does not (an
// invalid id, an unknown status) fails the read with `.internalError` rather than a crash.

private func invalid(_ what: String) -> StoreError {
    StoreError(.internalError, "invalid \(what) in the database")
}

extension Row {
    fileprivate func date(_ column: String) throws -> Date {
        Date(unixMilliseconds: try decode(Int64.self, forColumn: column))
    }

    fileprivate func optionalDate(_ column: String) throws -> Date? {
        try decode(Int64?.self, forColumn: column).map(Date.init(unixMilliseconds:))
    }

    fileprivate func chargePointID(_ column: String) throws -> ChargePointID {
        guard let id = ChargePointID(try decode(String.self, forColumn: column)) else { throw invalid(column) }
        return id
    }

    fileprivate func registrationStatus(_ column: String) throws -> RegistrationStatus? {
        guard let text = try decode(String?.self, forColumn: column) else { return nil }
        guard let status = RegistrationStatus(rawValue: text) else { throw invalid(column) }
        return status
    }
}

extension ChargePoint {
    /// A charge point from a `charge_points` row.
    init(row: Row) throws {
        var boot: BootInfo?
        if let vendor = try row.decode(String?.self, forColumn: "boot_vendor") {
            boot = BootInfo(
                vendor: vendor, model: try row.decode(String.self, forColumn: "boot_model"),
                serialNumber: try row.decode(forColumn: "boot_serial_number"),
                chargeBoxSerialNumber: try row.decode(forColumn: "boot_charge_box_serial_number"),
                firmwareVersion: try row.decode(forColumn: "boot_firmware_version"),
                iccid: try row.decode(forColumn: "boot_iccid"),
                imsi: try row.decode(forColumn: "boot_imsi"),
                meterType: try row.decode(forColumn: "boot_meter_type"),
                meterSerialNumber: try row.decode(forColumn: "boot_meter_serial_number"),
                bootReason: try row.decode(forColumn: "boot_reason"))
        }
        self.init(
            id: try row.chargePointID("id"),
            registrationStatus: try row.registrationStatus("registration_status"),
            passwordHash: try row.decode(forColumn: "password_hash"),
            bootStatus: try row.registrationStatus("boot_status"),
            boot: boot,
            lastBootAt: try row.optionalDate("last_boot_at"),
            protocolVersion: try row.decode(forColumn: "protocol_version"),
            lastSeen: try row.optionalDate("last_seen"),
            stateVersion: try row.decode(forColumn: "state_version"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}

extension ConnectorStatus {
    /// A status from a `connector_status` or `connector_status_history` row.
    init(row: Row) throws {
        self.init(
            chargePointId: try row.chargePointID("charge_point_id"),
            evseId: try row.decode(forColumn: "evse_id"),
            connectorId: try row.decode(forColumn: "connector_id"),
            status: try row.decode(forColumn: "status"),
            errorCode: try row.decode(forColumn: "error_code"),
            info: try row.decode(forColumn: "info"),
            vendorId: try row.decode(forColumn: "vendor_id"),
            vendorErrorCode: try row.decode(forColumn: "vendor_error_code"),
            timestamp: try row.date("timestamp"),
            receivedAt: try row.date("received_at"))
    }
}

extension StoredResponse {
    /// An answer from a `stored_responses` row.
    init(row: Row) throws {
        self.init(
            chargePointId: try row.chargePointID("charge_point_id"),
            messageId: try row.decode(forColumn: "message_id"),
            requestDigest: try row.decode(forColumn: "request_digest"),
            response: [UInt8](try row.decode(Data.self, forColumn: "response")),
            storedAt: try row.date("stored_at"))
    }
}

extension DeadLetter {
    /// A dead letter from a `dead_letters` row.
    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            chargePointId: try row.chargePointID("charge_point_id"),
            protocolVersion: try row.decode(forColumn: "protocol_version"),
            rawFrame: try row.decode(forColumn: "raw_frame"),
            reason: try row.decode(forColumn: "reason"),
            error: try row.decode(forColumn: "error"),
            receivedAt: try row.date("received_at"),
            attempts: try row.decode(forColumn: "attempts"))
    }
}
