public import Foundation

/// The serial number a station is bound to (BootNotification serial binding, docs/security.md).
public struct SerialBinding: Codable, Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The bound serial number (1.6 `chargePointSerialNumber`, 2.x `chargingStation.serialNumber`).
    public var serialNumber: String
    /// When it was bound (first accepted boot, or the operator's rebinding).
    public var boundAt: Date

    /// A binding.
    public init(chargePointId: ChargePointID, serialNumber: String, boundAt: Date) {
        self.chargePointId = chargePointId
        self.serialNumber = serialNumber
        self.boundAt = boundAt
    }
}

/// The reads of the BootNotification serial binding. Writes: `StoreWrite.bindSerialNumber`
/// (sets or replaces the binding) and `StoreWrite.clearSerialBinding`.
public protocol SerialBindingStoreReading: Sendable {
    /// The station's binding, if any.
    func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding?
}
