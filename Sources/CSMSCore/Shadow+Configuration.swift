import Foundation
import OCPP

extension ChargePointShadow {
    /// The shadow with the station's cached configuration values as `reported.configuration`
    /// (`{key: value}`, `null` for a key without value); unchanged when there are none.
    public func adding(configuration values: [ConfigurationValue]) -> ChargePointShadow {
        guard !values.isEmpty, case .object(var reported) = reported else { return self }
        var configuration = JSONObject()
        for value in values { configuration[value.key] = value.value.map { .string($0) } ?? .null }
        reported["configuration"] = .object(configuration)
        var timestamps = timestamps
        timestamps["configuration"] = values.map(\.updatedAt).max()
        return ChargePointShadow(
            chargePointId: chargePointId, version: version, reported: .object(reported), timestamps: timestamps)
    }

    private init(chargePointId: ChargePointID, version: Int64, reported: JSONValue, timestamps: [String: Date]) {
        self.chargePointId = chargePointId
        self.version = version
        self.reported = reported
        self.timestamps = timestamps
    }
}
