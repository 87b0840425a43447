public import Foundation

/// A registration decision: the answer to a BootNotification, or the operator's setting.
public enum RegistrationStatus: String, Codable, Sendable, CaseIterable {
    /// The station may operate.
    case accepted = "Accepted"
    /// The station must wait and boot again later.
    case pending = "Pending"
    /// The station is refused.
    case rejected = "Rejected"
}

/// What a station tells about itself in BootNotification (1.6 and 2.x fields merged).
public struct BootInfo: Codable, Sendable, Equatable {
    /// 1.6 `chargePointVendor` / 2.x `chargingStation.vendorName`.
    public var vendor: String
    /// 1.6 `chargePointModel` / 2.x `chargingStation.model`.
    public var model: String
    /// 1.6 `chargePointSerialNumber` / 2.x `chargingStation.serialNumber`.
    public var serialNumber: String?
    /// 1.6 `chargeBoxSerialNumber` (deprecated in 1.6, absent in 2.x).
    public var chargeBoxSerialNumber: String?
    /// 1.6 `firmwareVersion` / 2.x `chargingStation.firmwareVersion`.
    public var firmwareVersion: String?
    /// 1.6 `iccid` / 2.x `chargingStation.modem.iccid`.
    public var iccid: String?
    /// 1.6 `imsi` / 2.x `chargingStation.modem.imsi`.
    public var imsi: String?
    /// 1.6 `meterType`.
    public var meterType: String?
    /// 1.6 `meterSerialNumber`.
    public var meterSerialNumber: String?
    /// 2.x `reason` (BootReasonEnumType), e.g. `PowerUp`.
    public var bootReason: String?

    /// Boot information; only vendor and model are required.
    public init(
        vendor: String, model: String, serialNumber: String? = nil, chargeBoxSerialNumber: String? = nil,
        firmwareVersion: String? = nil, iccid: String? = nil, imsi: String? = nil, meterType: String? = nil,
        meterSerialNumber: String? = nil, bootReason: String? = nil
    ) {
        self.vendor = vendor
        self.model = model
        self.serialNumber = serialNumber
        self.chargeBoxSerialNumber = chargeBoxSerialNumber
        self.firmwareVersion = firmwareVersion
        self.iccid = iccid
        self.imsi = imsi
        self.meterType = meterType
        self.meterSerialNumber = meterSerialNumber
        self.bootReason = bootReason
    }
}

/// A registered charge point and its last known state.
public struct ChargePoint: Codable, Sendable, Equatable {
    /// The identity.
    public var id: ChargePointID
    /// The operator's registration setting; `nil` means "accept when it boots".
    public var registrationStatus: RegistrationStatus?
    /// Salted slow hash of the Basic-auth password (format owned by the security code); `nil`
    /// when none is set.
    public var passwordHash: String?
    /// The answer given to the station's last BootNotification; the registration gate lets
    /// other messages through only when this is `accepted`. Survives restarts.
    public var bootStatus: RegistrationStatus?
    /// What the station reported at its last boot.
    public var boot: BootInfo?
    /// When the last BootNotification was handled.
    public var lastBootAt: Date?
    /// The subprotocol of the last session, e.g. `ocpp1.6`.
    public var protocolVersion: String?
    /// When the last Heartbeat (or boot) was handled.
    public var lastSeen: Date?
    /// Increases with every stored change of this station's state (the shadow's version):
    /// by one per applied write that changes it (see `CSMSStore`); 1 when created.
    public var stateVersion: Int64
    /// When the record was created.
    public var createdAt: Date
    /// When the record last changed.
    public var updatedAt: Date

    /// A charge point record.
    public init(
        id: ChargePointID, registrationStatus: RegistrationStatus? = nil, passwordHash: String? = nil,
        bootStatus: RegistrationStatus? = nil, boot: BootInfo? = nil, lastBootAt: Date? = nil,
        protocolVersion: String? = nil, lastSeen: Date? = nil, stateVersion: Int64 = 0, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.registrationStatus = registrationStatus
        self.passwordHash = passwordHash
        self.bootStatus = bootStatus
        self.boot = boot
        self.lastBootAt = lastBootAt
        self.protocolVersion = protocolVersion
        self.lastSeen = lastSeen
        self.stateVersion = stateVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The status of one connector (1.6: connector 0 is the whole station; 2.x: a connector of
/// an EVSE), as last reported, or one entry of the status history.
public struct ConnectorStatus: Codable, Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// 2.x EVSE id; `nil` for 1.6.
    public var evseId: Int?
    /// 1.6 connectorId (0 = station) / 2.x connectorId within the EVSE.
    public var connectorId: Int
    /// 1.6 ChargePointStatus (Available, Preparing, Charging, SuspendedEV, SuspendedEVSE,
    /// Finishing, Reserved, Unavailable, Faulted) / 2.x ConnectorStatusEnumType (Available,
    /// Occupied, Reserved, Unavailable, Faulted).
    public var status: String
    /// 1.6 ChargePointErrorCode (`NoError` included); `nil` in 2.x.
    public var errorCode: String?
    /// 1.6 free-text info.
    public var info: String?
    /// 1.6 vendorId.
    public var vendorId: String?
    /// 1.6 vendorErrorCode.
    public var vendorErrorCode: String?
    /// The station's timestamp for the status (the receive time when it gave none).
    public var timestamp: Date
    /// When the CSMS received it.
    public var receivedAt: Date

    /// A connector status.
    public init(
        chargePointId: ChargePointID, evseId: Int? = nil, connectorId: Int, status: String, errorCode: String? = nil,
        info: String? = nil, vendorId: String? = nil, vendorErrorCode: String? = nil, timestamp: Date,
        receivedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.evseId = evseId
        self.connectorId = connectorId
        self.status = status
        self.errorCode = errorCode
        self.info = info
        self.vendorId = vendorId
        self.vendorErrorCode = vendorErrorCode
        self.timestamp = timestamp
        self.receivedAt = receivedAt
    }
}
