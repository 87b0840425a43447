import CSMSCore
import CSMSExternalAuth
import Foundation
public import Logging

// Settings of issue #8's boot validation policies and external CA (docs/configuration.md,
// "Boot validation policies and external CA").

extension SettingKey {
    /// `bootPolicy.firmwareRules`: minimum firmware rules, a JSON array.
    public static let bootPolicyFirmwareRules = SettingKey(
        "bootPolicy.firmwareRules", reload: .restart, defaultValue: "none",
        meaning: """
            Minimum firmware per vendor/model: a JSON array of `{\"vendor\", \"model\"?, \"minimumFirmware\",
            \"action\": \"accept\"|\"pending\"|\"reject\", \"firmwareUrl\"?}`. A boot whose `firmwareVersion` is below the
            minimum (compared as in security.md; missing counts as below) gets the action and a
            `csms.boot.firmware_below_minimum` security event; with `firmwareUrl` an UpdateFirmware follows
            where OCPP allows it. Vendor and model compare without case; a rule with a model beats one without.
            """)
    /// `bootPolicy.allowedModels`: the vendor/model allow-list, a JSON array.
    public static let bootPolicyAllowedModels = SettingKey(
        "bootPolicy.allowedModels", reload: .live, defaultValue: "none (all allowed)",
        meaning: """
            Vendor/model allow-list: a JSON array of `{\"vendor\", \"model\"?}` (no model: every model of the
            vendor). A boot from anything else is Rejected with a `csms.boot.model_not_allowed` event. `[]`
            allows none.
            """)
    /// `bootPolicy.bindSerialNumber`: whether the first accepted boot binds the serial number.
    public static let bootPolicyBindSerialNumber = SettingKey(
        "bootPolicy.bindSerialNumber", reload: .live, defaultValue: "`false`",
        meaning: """
            The first accepted boot of a station without a client certificate binds its serial number (1.6
            `chargePointSerialNumber`, 2.x `chargingStation.serialNumber`); a later boot with another one is
            answered Pending with a `csms.boot.serial_mismatch` event until an operator rebinds or clears it
            (`PUT /api/v1/charge-points/{id}/serial-binding`).
            """)
    /// `security.externalCa.url`: the external CA's signing URL.
    public static let securityExternalCAURL = SettingKey(
        "security.externalCa.url", reload: .restart, defaultValue: "none",
        meaning: """
            http(s) URL of an external CA: SignCertificate CSRs that pass the local checks are POSTed there as
            `{\"chargePointId\", \"certificateType\", \"csr\"}` and the PEM chain it answers is recorded and
            delivered. Excludes `security.caCertificate`.
            """)
    /// `security.externalCa.timeout`: seconds one signing request may take.
    public static let securityExternalCATimeout = SettingKey(
        "security.externalCa.timeout", reload: .restart, defaultValue: "`10`",
        meaning: """
            Seconds one signing request may take (1-300). The station's SignCertificate is answered when the CA
            has answered or failed, so keep it below the station's message timeout.
            """)
    /// `security.externalCa.breakerThreshold`: failures in a row that open the breaker.
    public static let securityExternalCABreakerThreshold = SettingKey(
        "security.externalCa.breakerThreshold", reload: .restart, defaultValue: "`5`",
        meaning: """
            Failed requests in a row (timeout, connection failure, non-2xx, no PEM in the answer) that open the
            circuit breaker (1-1000); while it is open, requests fail at once.
            """)
    /// `security.externalCa.breakerCoolDown`: seconds the breaker stays open.
    public static let securityExternalCABreakerCoolDown = SettingKey(
        "security.externalCa.breakerCoolDown", reload: .restart, defaultValue: "`30`",
        meaning: """
            Seconds the breaker stays open before one trial request is let through (1-3600).
            """)

    /// The settings of this file.
    static let bootPolicy: [SettingKey] = [
        .bootPolicyFirmwareRules, .bootPolicyAllowedModels, .bootPolicyBindSerialNumber, .securityExternalCAURL,
        .securityExternalCATimeout, .securityExternalCABreakerThreshold, .securityExternalCABreakerCoolDown,
    ]
}

extension ServerConfiguration {
    /// Reads the boot policies and the external CA (called by `init(reader:)`). A rule list that
    /// does not parse is an error naming the key.
    mutating func readBootPolicy(_ r: SettingReader) throws(ConfigurationError) {
        if let json = try r.string(.bootPolicyFirmwareRules), !json.isEmpty {
            do throws(BootPolicyError) {
                bootPolicy.firmwareRules = try BootPolicy.parseFirmwareRules(json)
            } catch {
                throw .invalid(.bootPolicyFirmwareRules, error.message)
            }
        }
        if let json = try r.string(.bootPolicyAllowedModels), !json.isEmpty {
            do throws(BootPolicyError) {
                bootPolicy.allowedModels = try BootPolicy.parseAllowedModels(json)
            } catch {
                throw .invalid(.bootPolicyAllowedModels, error.message)
            }
        }
        bootPolicy.bindSerialNumber = try r.bool(.bootPolicyBindSerialNumber) ?? bootPolicy.bindSerialNumber
        guard let text = try r.string(.securityExternalCAURL), !text.isEmpty else { return }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
        else { throw .invalid(.securityExternalCAURL, "expected an http or https URL") }
        if security.caCertificatePath != nil {
            throw .invalid(
                .securityExternalCAURL,
                "the built-in CA (\(SettingKey.securityCACertificate)) and an external CA exclude each other")
        }
        var settings = ExternalCAConfiguration(url: url)
        settings.timeout = try r.seconds(.securityExternalCATimeout, in: 1...300) ?? settings.timeout
        settings.breakerFailureThreshold =
            try r.int(.securityExternalCABreakerThreshold, in: 1...1000) ?? settings.breakerFailureThreshold
        settings.breakerCoolDown =
            try r.seconds(.securityExternalCABreakerCoolDown, in: 1...3600) ?? settings.breakerCoolDown
        externalCA = settings
    }
}

extension ServerConfiguration {
    /// The external CA's signer when `security.externalCa.url` is set (shut it down when the
    /// server stops).
    public func makeExternalCASigner(logger: Logger) -> ExternalCASigner? {
        externalCA.map {
            ExternalCASigner(
                client: ExternalCAClient(configuration: $0, logger: logger), operatorName: security.operatorName,
                logger: logger)
        }
    }
}
