import Foundation

/// The operator's BootNotification validation policies (issue #8; docs/security.md, "Boot
/// validation policies"): minimum firmware per vendor/model, a vendor/model allow-list, and
/// binding a station's serial number at its first accepted boot. Pure: `evaluate` decides from
/// the boot, the stored binding and the registration decision made before it.
public struct BootPolicy: Sendable, Equatable {
    /// What a rule does with a boot it matches.
    public enum Action: String, Codable, Sendable, CaseIterable {
        /// Accept (the other checks permitting) and store a security event.
        case accept
        /// Answer Pending and store a security event.
        case pending
        /// Answer Rejected and store a security event.
        case reject
    }

    /// A minimum firmware version for a vendor (and optionally one model).
    public struct FirmwareRule: Codable, Sendable, Equatable {
        /// The vendor (`chargePointVendor` / `chargingStation.vendorName`), compared without case.
        public var vendor: String
        /// The model; `nil` matches every model of the vendor.
        public var model: String?
        /// The lowest acceptable version (compared as `FirmwareVersion`).
        public var minimumFirmware: String
        /// What a boot below the minimum gets.
        public var action: Action
        /// Where the station can download acceptable firmware; when set, an UpdateFirmware is
        /// sent once the station is connected and the spec allows it (see `followUp`).
        public var firmwareUrl: String?

        /// A rule.
        public init(
            vendor: String, model: String? = nil, minimumFirmware: String, action: Action, firmwareUrl: String? = nil
        ) {
            self.vendor = vendor
            self.model = model
            self.minimumFirmware = minimumFirmware
            self.action = action
            self.firmwareUrl = firmwareUrl
        }

        /// Whether `version` (as reported; `nil` or without digits counts as below) is below the minimum.
        public func isBelowMinimum(_ version: String?) -> Bool {
            guard let minimum = FirmwareVersion(minimumFirmware) else { return false }
            guard let reported = version.flatMap(FirmwareVersion.init) else { return true }
            return reported < minimum
        }
    }

    /// An allow-list entry: a vendor, optionally restricted to one model.
    public struct ModelMatch: Codable, Sendable, Equatable {
        /// The vendor, compared without case.
        public var vendor: String
        /// The model; `nil` allows every model of the vendor.
        public var model: String?

        /// An entry.
        public init(vendor: String, model: String? = nil) {
            self.vendor = vendor
            self.model = model
        }
    }

    /// Minimum firmware rules; the most specific match (with model before without) wins, then
    /// the first in the list.
    public var firmwareRules: [FirmwareRule]
    /// The vendors/models allowed to boot; `nil` allows all.
    public var allowedModels: [ModelMatch]?
    /// Whether the first accepted boot binds the serial number of a station that has no
    /// client certificate, and a later boot with another one is answered Pending.
    public var bindSerialNumber: Bool

    /// A policy; the defaults check nothing.
    public init(firmwareRules: [FirmwareRule] = [], allowedModels: [ModelMatch]? = nil, bindSerialNumber: Bool = false)
    {
        self.firmwareRules = firmwareRules
        self.allowedModels = allowedModels
        self.bindSerialNumber = bindSerialNumber
    }

    /// The rule for this vendor and model, if any.
    public func firmwareRule(vendor: String, model: String) -> FirmwareRule? {
        let matching = firmwareRules.filter {
            Self.same($0.vendor, vendor) && ($0.model.map { Self.same($0, model) } ?? true)
        }
        return matching.first { $0.model != nil } ?? matching.first
    }

    /// Whether the allow-list lets this vendor and model boot.
    public func isAllowed(vendor: String, model: String) -> Bool {
        guard let allowedModels else { return true }
        return allowedModels.contains {
            Self.same($0.vendor, vendor) && ($0.model.map { Self.same($0, model) } ?? true)
        }
    }

    private static func same(_ a: String, _ b: String) -> Bool {
        a.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(b.trimmingCharacters(in: .whitespaces))
            == .orderedSame
    }

    /// What the policy found in one boot, for the security event.
    public struct Finding: Sendable, Equatable {
        /// The event type (`csms.boot.…`).
        public var type: String
        /// What was seen (no secrets).
        public var techInfo: String
    }

    /// The policy's decision for one boot.
    public struct Outcome: Sendable, Equatable {
        /// The answer's status.
        public var status: RegistrationStatus
        /// The security events to store.
        public var findings: [Finding]
        /// The serial number to bind now (first accepted boot), if any.
        public var bindSerialNumber: String?
        /// The firmware rule whose UpdateFirmware is due, if any.
        public var firmwareFollowUp: FirmwareRule?

        /// An outcome.
        public init(
            status: RegistrationStatus, findings: [Finding] = [], bindSerialNumber: String? = nil,
            firmwareFollowUp: FirmwareRule? = nil
        ) {
            self.status = status
            self.findings = findings
            self.bindSerialNumber = bindSerialNumber
            self.firmwareFollowUp = firmwareFollowUp
        }
    }

    /// Decides a boot: `base` is the registration decision (operator setting, unknown-station
    /// policy); `boundSerial` the stored binding; `hasClientCertificate` whether the connection
    /// authenticated with a certificate (its serial is checked against the CN instead);
    /// `isOCPP16` selects what a Pending station may be sent. A `Rejected` base is final and
    /// checks nothing. Otherwise the strictest answer of base and checks wins
    /// (Rejected > Pending > Accepted).
    public func evaluate(
        base: RegistrationStatus, boot: BootInfo, boundSerial: String?, hasClientCertificate: Bool, isOCPP16: Bool
    ) -> Outcome {
        var outcome = Outcome(status: base)
        guard base != .rejected else { return outcome }
        func raise(_ status: RegistrationStatus, _ type: String, _ techInfo: String) {
            outcome.status = Self.stricter(outcome.status, status)
            outcome.findings.append(Finding(type: type, techInfo: String(techInfo.prefix(255))))
        }
        let vendorModel = "vendor '\(boot.vendor.prefix(40))' model '\(boot.model.prefix(40))'"
        if !isAllowed(vendor: boot.vendor, model: boot.model) {
            raise(.rejected, "csms.boot.model_not_allowed", "\(vendorModel) is not on the allow-list")
        }
        let reported = boot.serialNumber.flatMap { $0.isEmpty ? nil : $0 }
        let binds = bindSerialNumber && !hasClientCertificate
        if binds, let boundSerial, reported != boundSerial {
            raise(
                .pending, "csms.boot.serial_mismatch",
                "serial number '\((reported ?? "none").prefix(40))' differs from the bound '\(boundSerial.prefix(40))'")
        }
        let rule = firmwareRule(vendor: boot.vendor, model: boot.model)
        if let rule, rule.isBelowMinimum(boot.firmwareVersion) {
            let status: RegistrationStatus =
                switch rule.action {
                case .accept: .accepted
                case .pending: .pending
                case .reject: .rejected
                }
            raise(
                status, "csms.boot.firmware_below_minimum",
                "firmware '\((boot.firmwareVersion ?? "none").prefix(40))' below the minimum "
                    + "'\(rule.minimumFirmware.prefix(40))' for \(vendorModel) (\(rule.action.rawValue))")
            if rule.firmwareUrl != nil, Self.mayUpdateFirmware(status: outcome.status, isOCPP16: isOCPP16) {
                outcome.firmwareFollowUp = rule
            }
        }
        if binds, boundSerial == nil, outcome.status == .accepted, let reported { outcome.bindSerialNumber = reported }
        return outcome
    }

    /// Whether UpdateFirmware may be sent to a station whose boot got `status`: when Accepted
    /// (OCPP 2.0.1 L01, 1.6 §5.19); when Pending only in OCPP 1.6 (§4.2: "the Central System
    /// MAY send request messages to retrieve information from the Charge Point or change its
    /// configuration"; RegistrationStatus Pending: "may send messages to retrieve information
    /// or prepare the Charge Point", §7.38). OCPP 2.0.1 B02.FR.01 lets the CSMS send a Pending
    /// station only the messages of B05-B08 (SetVariables, GetVariables, GetBaseReport,
    /// GetReport) and TriggerMessage, so no UpdateFirmware then.
    public static func mayUpdateFirmware(status: RegistrationStatus, isOCPP16: Bool) -> Bool {
        status == .accepted || (status == .pending && isOCPP16)
    }

    /// The stricter of two answers.
    static func stricter(_ a: RegistrationStatus, _ b: RegistrationStatus) -> RegistrationStatus {
        func rank(_ s: RegistrationStatus) -> Int {
            switch s {
            case .accepted: 0
            case .pending: 1
            case .rejected: 2
            }
        }
        return rank(a) >= rank(b) ? a : b
    }
}
