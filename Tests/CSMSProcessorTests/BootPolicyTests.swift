import CSMSCore
import Foundation
import Testing

@Suite("Firmware versions and boot policies (pure)")
struct BootPolicyTests {
    private func v(_ text: String) throws -> FirmwareVersion { try #require(FirmwareVersion(text)) }

    @Test func numericPartsCompareAsNumbers() throws {
        #expect(try v("1.10.0") > v("1.9.3"))
        #expect(try v("2.0") > v("1.99.99"))
        #expect(try v("1.2") == v("1.2.0"), "missing parts are 0")
        #expect(try v("1.2.0.1") > v("1.2"))
        #expect(try v("10") > v("9.9"))
        #expect(try v("01.002") == v("1.2"), "leading zeros are numbers")
    }

    @Test func prefixesAndBuildMetadataAreIgnored() throws {
        #expect(try v("v1.2.3") == v("1.2.3"))
        #expect(try v("FW-1.2.3") == v("1.2.3"))
        #expect(try v("R 1.4") > v("v1.3.9"))
        #expect(try v("1.2.3+build.7") == v("1.2.3"))
        #expect(FirmwareVersion("unknown") == nil)
        #expect(FirmwareVersion("") == nil)
        #expect(try v("v1.2.3").description == "v1.2.3")
    }

    @Test func preReleasesSortBeforeTheRelease() throws {
        #expect(try v("1.2.3-rc1") < v("1.2.3"))
        #expect(try v("v1.2.3-rc1") > v("1.2.2"))
        #expect(try v("1.2.3-rc.2") < v("1.2.3-rc.10"), "numeric identifiers as numbers")
        #expect(try v("1.2.3-alpha") < v("1.2.3-beta"))
        #expect(try v("1.2.3-1") < v("1.2.3-alpha"), "numeric below textual")
        #expect(try v("1.2.3-rc") < v("1.2.3-rc.1"), "shorter prefix list first")
        #expect(try v("1.2.3_BETA") == v("1.2.3-beta"), "separator and case do not matter")
        #expect(try v("1.2.rc1") == v("1.2-rc1"), "a dot before a tag separates it")
        #expect(try !(v("1.2.3-rc1") < v("1.2.3-rc1")))
        #expect(try v("1.2.3-01") == v("1.2.3-01"))
    }

    private func boot(
        vendor: String = "ACME", model: String = "X1", serial: String? = "SN-1", firmware: String? = "1.9.3"
    ) -> BootInfo {
        BootInfo(vendor: vendor, model: model, serialNumber: serial, firmwareVersion: firmware)
    }

    private func evaluate(
        _ policy: BootPolicy, _ info: BootInfo, base: RegistrationStatus = .accepted, bound: String? = nil,
        certificate: Bool = false, ocpp16: Bool = false
    ) -> BootPolicy.Outcome {
        policy.evaluate(base: base, boot: info, boundSerial: bound, hasClientCertificate: certificate, isOCPP16: ocpp16)
    }

    @Test func noPolicyChangesNothing() {
        let outcome = evaluate(BootPolicy(), boot())
        #expect(outcome == BootPolicy.Outcome(status: .accepted))
        #expect(evaluate(BootPolicy(), boot(), base: .pending).status == .pending)
    }

    @Test(arguments: [
        (BootPolicy.Action.accept, RegistrationStatus.accepted), (.pending, .pending), (.reject, .rejected),
    ])
    func firmwareBelowTheMinimumGetsTheRuleAction(action: BootPolicy.Action, status: RegistrationStatus) {
        let policy = BootPolicy(firmwareRules: [.init(vendor: "acme", minimumFirmware: "1.10.0", action: action)])
        let outcome = evaluate(policy, boot())
        #expect(outcome.status == status)
        #expect(outcome.findings.map(\.type) == ["csms.boot.firmware_below_minimum"])
        #expect(outcome.findings[0].techInfo.contains("'1.9.3' below the minimum '1.10.0'"))
        #expect(outcome.firmwareFollowUp == nil, "no URL, no follow-up")
        #expect(evaluate(policy, boot(firmware: "1.10.0")) == BootPolicy.Outcome(status: .accepted))
        #expect(evaluate(policy, boot(vendor: "Other")) == BootPolicy.Outcome(status: .accepted))
        #expect(evaluate(policy, boot(firmware: nil)).status == status, "an unreported version counts as below")
        #expect(evaluate(policy, boot(firmware: "beta")).status == status, "so does one without digits")
    }

    @Test func theModelRuleBeatsTheVendorRule() {
        let policy = BootPolicy(firmwareRules: [
            .init(vendor: "ACME", minimumFirmware: "1.0", action: .reject),
            .init(vendor: "ACME", model: "x1", minimumFirmware: "2.0", action: .pending),
        ])
        #expect(policy.firmwareRule(vendor: "ACME", model: "X1")?.minimumFirmware == "2.0")
        #expect(policy.firmwareRule(vendor: "ACME", model: "X2")?.minimumFirmware == "1.0")
        #expect(policy.firmwareRule(vendor: "Other", model: "X1") == nil)
        #expect(evaluate(policy, boot(firmware: "1.5")).status == .pending)
    }

    @Test func firmwareFollowUpOnlyWhereTheSpecAllowsIt() {
        let url = "https://fw.example/acme-2.0.bin"
        let pending = BootPolicy(firmwareRules: [
            .init(vendor: "ACME", minimumFirmware: "2.0", action: .pending, firmwareUrl: url)
        ])
        #expect(evaluate(pending, boot(), ocpp16: true).firmwareFollowUp?.firmwareUrl == url, "1.6 §4.2")
        #expect(evaluate(pending, boot(), ocpp16: false).firmwareFollowUp == nil, "2.0.1 B02.FR.01")
        let accept = BootPolicy(firmwareRules: [
            .init(vendor: "ACME", minimumFirmware: "2.0", action: .accept, firmwareUrl: url)
        ])
        #expect(evaluate(accept, boot(), ocpp16: false).firmwareFollowUp?.firmwareUrl == url, "2.0.1 L01")
        #expect(evaluate(accept, boot(), base: .pending, ocpp16: false).firmwareFollowUp == nil)
        #expect(BootPolicy.mayUpdateFirmware(status: .rejected, isOCPP16: true) == false)
    }

    @Test func theAllowListRejectsOthers() {
        let policy = BootPolicy(allowedModels: [.init(vendor: "ACME", model: "X1"), .init(vendor: "Volt")])
        #expect(evaluate(policy, boot()).status == .accepted)
        #expect(evaluate(policy, boot(vendor: "volt", model: "anything")).status == .accepted)
        let refused = evaluate(policy, boot(model: "X2"))
        #expect(refused.status == .rejected)
        #expect(refused.findings.map(\.type) == ["csms.boot.model_not_allowed"])
        #expect(
            BootPolicy(allowedModels: []).isAllowed(vendor: "ACME", model: "X1") == false, "an empty list allows none")
    }

    @Test func serialBinding() {
        let policy = BootPolicy(bindSerialNumber: true)
        #expect(evaluate(policy, boot()).bindSerialNumber == "SN-1", "the first accepted boot binds")
        #expect(evaluate(policy, boot(), base: .pending).bindSerialNumber == nil, "only an accepted boot binds")
        #expect(evaluate(policy, boot(serial: nil)).bindSerialNumber == nil)
        #expect(evaluate(policy, boot(), bound: "SN-1") == BootPolicy.Outcome(status: .accepted))
        let mismatch = evaluate(policy, boot(serial: "SN-2"), bound: "SN-1")
        #expect(mismatch.status == .pending)
        #expect(mismatch.findings.map(\.type) == ["csms.boot.serial_mismatch"])
        #expect(mismatch.findings[0].techInfo.contains("'SN-2' differs from the bound 'SN-1'"))
        #expect(evaluate(policy, boot(serial: nil), bound: "SN-1").status == .pending, "a missing serial differs")
        #expect(evaluate(policy, boot(serial: "SN-2"), bound: "SN-1", certificate: true).status == .accepted)
        #expect(evaluate(policy, boot(), certificate: true).bindSerialNumber == nil, "certificates bind by CN")
        #expect(evaluate(BootPolicy(), boot(serial: "SN-2"), bound: "SN-1").status == .accepted, "off by default")
    }

    @Test func theStrictestAnswerWinsAndARejectedBaseIsFinal() {
        let policy = BootPolicy(
            firmwareRules: [.init(vendor: "ACME", minimumFirmware: "2.0", action: .pending)],
            allowedModels: [.init(vendor: "ACME", model: "X9")], bindSerialNumber: true)
        let outcome = evaluate(policy, boot(serial: "SN-2"), bound: "SN-1")
        #expect(outcome.status == .rejected)
        #expect(
            outcome.findings.map(\.type) == [
                "csms.boot.model_not_allowed", "csms.boot.serial_mismatch", "csms.boot.firmware_below_minimum",
            ])
        #expect(outcome.bindSerialNumber == nil)
        #expect(evaluate(policy, boot(), base: .rejected) == BootPolicy.Outcome(status: .rejected))
    }

    @Test func rulesParseFromJSONWithClearErrors() throws {
        let rules = try BootPolicy.parseFirmwareRules(
            #"[{"vendor":"ACME","model":"X1","minimumFirmware":"v1.10","action":"pending","firmwareUrl":"https://fw.example/a.bin"},{"vendor":"Volt","minimumFirmware":"3","action":"reject"}]"#
        )
        #expect(rules.count == 2 && rules[0].action == .pending && rules[1].model == nil)
        func error(_ json: String) -> String {
            do {
                _ = try BootPolicy.parseFirmwareRules(json)
                return ""
            } catch { return error.message }
        }
        #expect(error("nope").contains("JSON array"))
        #expect(
            error(#"[{"vendor":"A","minimumFirmware":"1","action":"maybe"}]"#).contains("invalid value at [1].action"))
        #expect(error(#"[{"vendor":"A","action":"accept"}]"#).contains("missing [1].minimumFirmware"))
        #expect(
            error(#"[{"vendor":" ","minimumFirmware":"1","action":"accept"}]"#).contains("vendor must not be empty"))
        #expect(error(#"[{"vendor":"A","minimumFirmware":"new","action":"accept"}]"#).contains("version number"))
        #expect(
            error(#"[{"vendor":"A","minimumFirmware":"1","action":"accept","firmwareUrl":"fw.bin"}]"#).contains(
                "absolute URL"))
        #expect(try BootPolicy.parseAllowedModels(#"[{"vendor":"ACME"}]"#) == [.init(vendor: "ACME")])
        #expect(throws: BootPolicyError.self) { try BootPolicy.parseAllowedModels(#"[{"model":"X"}]"#) }
        #expect(throws: BootPolicyError.self) { try BootPolicy.parseAllowedModels(#"[{"vendor":""}]"#) }
    }
}
