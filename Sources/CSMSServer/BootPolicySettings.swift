import CSMSCore
import CSMSExternalAuth
import Foundation
public import Logging

// Settings of issue #8's boot validation policies and external CA (docs/configuration.md,
// "Boot validation policies and external CA").

extension SettingKey {
    /// `bootPolicy.firmwareRules`: minimum firmware rules, a JSON array.
    public static let bootPolicyFirmwareRules = SettingKey("bootPolicy.firmwareRules")
    /// `bootPolicy.allowedModels`: the vendor/model allow-list, a JSON array.
    public static let bootPolicyAllowedModels = SettingKey("bootPolicy.allowedModels")
    /// `bootPolicy.bindSerialNumber`: whether the first accepted boot binds the serial number.
    public static let bootPolicyBindSerialNumber = SettingKey("bootPolicy.bindSerialNumber")
    /// `security.externalCa.url`: the external CA's signing URL.
    public static let securityExternalCAURL = SettingKey("security.externalCa.url")
    /// `security.externalCa.timeout`: seconds one signing request may take.
    public static let securityExternalCATimeout = SettingKey("security.externalCa.timeout")
    /// `security.externalCa.breakerThreshold`: failures in a row that open the breaker.
    public static let securityExternalCABreakerThreshold = SettingKey("security.externalCa.breakerThreshold")
    /// `security.externalCa.breakerCoolDown`: seconds the breaker stays open.
    public static let securityExternalCABreakerCoolDown = SettingKey("security.externalCa.breakerCoolDown")

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
