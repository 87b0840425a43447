import CSMSCore
import CSMSProcessor
import Configuration
import Foundation
import OCPP
import Testing

@testable import CSMSServer

@Suite("Boot validation policies: settings, serial-binding API, firmware follow-ups (live server)")
struct BootPolicyServerTests {
    private func error(_ environment: [String: String]) async -> String {
        do {
            _ = try await loadConfiguration(environment: environment)
            return ""
        } catch { return "\(error)" }
    }

    @Test("the keys are read from the environment and the file; defaults check nothing")
    func readsKeys() async throws {
        let defaults = try await loadConfiguration()
        #expect(defaults.bootPolicy == BootPolicy() && defaults.externalCA == nil)
        let configuration = try await loadConfiguration(environment: [
            "CSMS_BOOT_POLICY_FIRMWARE_RULES":
                #"[{"vendor":"ACME","minimumFirmware":"1.10","action":"pending","firmwareUrl":"https://fw.example/a.bin"}]"#,
            "CSMS_BOOT_POLICY_ALLOWED_MODELS": #"[{"vendor":"ACME","model":"X1"}]"#,
            "CSMS_BOOT_POLICY_BIND_SERIAL_NUMBER": "true",
            "CSMS_SECURITY_EXTERNAL_CA_URL": "https://ca.example/sign", "CSMS_SECURITY_EXTERNAL_CA_TIMEOUT": "5",
            "CSMS_SECURITY_EXTERNAL_CA_BREAKER_THRESHOLD": "2", "CSMS_SECURITY_EXTERNAL_CA_BREAKER_COOL_DOWN": "9",
        ])
        #expect(configuration.bootPolicy.firmwareRules.first?.firmwareUrl == "https://fw.example/a.bin")
        #expect(configuration.bootPolicy.allowedModels == [.init(vendor: "ACME", model: "X1")])
        #expect(configuration.bootPolicy.bindSerialNumber)
        #expect(configuration.externalCA?.url.absoluteString == "https://ca.example/sign")
        #expect(configuration.externalCA?.timeout == .seconds(5))
        #expect(configuration.externalCA?.breakerFailureThreshold == 2)
        #expect(configuration.externalCA?.breakerCoolDown == .seconds(9))
        let file = try await loadConfiguration(
            file: #"{"bootPolicy": {"allowedModels": "[{\"vendor\":\"Volt\"}]", "bindSerialNumber": true}}"#)
        #expect(file.bootPolicy.allowedModels == [.init(vendor: "Volt")] && file.bootPolicy.bindSerialNumber)
    }

    @Test("an invalid rule list or CA URL is an error naming the key")
    func invalidValues() async {
        #expect(
            await error(["CSMS_BOOT_POLICY_FIRMWARE_RULES": #"[{"vendor":"A","action":"accept"}]"#]).contains(
                "invalid bootPolicy.firmwareRules (--boot-policy-firmware-rules, CSMS_BOOT_POLICY_FIRMWARE_RULES)"))
        #expect(await error(["CSMS_BOOT_POLICY_ALLOWED_MODELS": "ACME"]).contains("invalid bootPolicy.allowedModels"))
        #expect(await error(["CSMS_BOOT_POLICY_BIND_SERIAL_NUMBER": "maybe"]).contains("bootPolicy.bindSerialNumber"))
        #expect(await error(["CSMS_SECURITY_EXTERNAL_CA_URL": "ftp://x/y"]).contains("security.externalCa.url"))
        #expect(
            await error([
                "CSMS_SECURITY_EXTERNAL_CA_URL": "https://ca.example/sign", "CSMS_SECURITY_CA_CERTIFICATE": "/c.pem",
                "CSMS_SECURITY_CA_KEY": "/k.pem",
            ]).contains("exclude each other"))
        #expect(
            await error([
                "CSMS_SECURITY_EXTERNAL_CA_URL": "https://ca.example", "CSMS_SECURITY_EXTERNAL_CA_TIMEOUT": "0",
            ])
            .contains("security.externalCa.timeout"))
    }

    @Test("GET/PUT /charge-points/{id}/serial-binding shows, rebinds and clears the binding")
    func serialBindingAPI() async throws {
        try await LiveServer.with { server in
            let path = "/api/v1/charge-points/CP-SB/serial-binding"
            var response = try await server.api("GET", path)
            #expect(response.status == 200)
            #expect(try CommandAPITests.json(response) == ["serialNumber": .null, "boundAt": .null])
            response = try await server.api("PUT", path, body: #"{"serialNumber":"SN-9"}"#)
            #expect(response.status == 200)
            #expect(try CommandAPITests.json(response)["serialNumber"] == "SN-9")
            #expect(try await server.store.serialBinding(of: ChargePointID("CP-SB")!)?.serialNumber == "SN-9")
            response = try await server.api("PUT", path, body: #"{"serialNumber":null}"#)
            #expect(try CommandAPITests.json(response) == ["serialNumber": .null, "boundAt": .null])
            for bad in [#"{"serialNumber":""}"#, #"{"serialNumber":"12345678901234567890123456"}"#, "{}", "x"] {
                #expect(try await server.api("PUT", path, body: bad).status == 400, "\(bad)")
            }
            #expect(try await server.api("GET", path, token: "").status == 401)
        }
    }

    private static let url = "https://fw.example/vendorx-2.0.bin"

    private static func configurations(_ action: BootPolicy.Action) -> (ServerConfiguration, ProcessorConfiguration) {
        let policy = BootPolicy(firmwareRules: [
            .init(vendor: "Swift", minimumFirmware: "2.0", action: action, firmwareUrl: url)
        ])
        var server = LiveServer.configuration()
        server.bootPolicy = policy
        var processor = ProcessorConfiguration()
        processor.bootPolicy = policy
        return (server, processor)
    }

    @Test("OCPP 1.6: a boot below the minimum is Pending and gets UpdateFirmware {location, retrieveDate} once")
    func followUp16() async throws {
        let (configuration, processor) = Self.configurations(.pending)
        try await LiveServer.with(configuration, realProcessor: processor) { server in
            try await CommandAPITests.withStation(server, "CP-FW16") { station in
                let answer = try await RemoteStartAPITests.call(
                    &station, "boot", "BootNotification",
                    ["chargePointVendor": "Swift", "chargePointModel": "Test", "firmwareVersion": "v1.9"])
                #expect(answer["status"] == "Pending")
                let call = try await station.nextCall()
                #expect(call.action == "UpdateFirmware")
                #expect(call.payload["location"] == .string(Self.url))
                #expect(call.payload["retrieveDate"]?.stringValue.flatMap(OCPPDateTime.init(rfc3339:)) != nil)
                try await station.write(#"[3,"\#(call.id)",{}]"#)
                let events = try await server.store.securityEvents(
                    chargePointId: ChargePointID("CP-FW16")!, after: nil, limit: 5)
                #expect(events.map(\.type) == ["csms.boot.firmware_below_minimum"])
            }
        }
    }

    @Test("OCPP 2.0.1: action accept answers Accepted and sends UpdateFirmware {requestId, firmware}")
    func followUp201() async throws {
        let (configuration, processor) = Self.configurations(.accept)
        try await LiveServer.with(configuration, realProcessor: processor) { server in
            try await CommandAPITests.withStation(server, "CP-FW2", subprotocol: "ocpp2.0.1") { station in
                let answer = try await RemoteStartAPITests.call(
                    &station, "boot", "BootNotification",
                    [
                        "reason": "PowerUp",
                        "chargingStation": ["vendorName": "Swift", "model": "Test", "firmwareVersion": "1.10-rc1"],
                    ])
                #expect(answer["status"] == "Accepted")
                let call = try await station.nextCall()
                #expect(call.action == "UpdateFirmware")
                #expect(call.payload["firmware"]?["location"] == .string(Self.url))
                #expect(call.payload["requestId"] != nil)
                try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            }
        }
    }
}
