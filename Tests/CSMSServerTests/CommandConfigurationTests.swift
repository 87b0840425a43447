import CSMSServer
import Configuration
import Foundation
import Testing

/// The operator-command settings: `commands.actionTimeouts`, `commands.queueSize`,
/// `dataTransfer.echoVendor` (docs/configuration.md).
@Suite("Configuration: operator commands")
struct CommandConfigurationTests {
    @Test func defaults() async throws {
        let configuration = try await loadConfiguration()
        #expect(configuration.actionTimeouts.isEmpty)
        #expect(configuration.commandQueueSize == 100)
        #expect(configuration.dataTransferEchoVendor == false)
        let settings = configuration.commandSettings
        #expect(settings.timeout(for: "Reset") == .seconds(30))
        #expect(settings.queueCapacity == 100)
    }

    @Test func fromEnvironmentAndFile() async throws {
        let environment = try await loadConfiguration(environment: [
            "CSMS_COMMANDS_ACTION_TIMEOUTS": "GetDiagnostics=120, UpdateFirmware=90",
            "CSMS_COMMANDS_QUEUE_SIZE": "5", "CSMS_DATA_TRANSFER_ECHO_VENDOR": "true", "CSMS_CALL_TIMEOUT": "7",
        ])
        #expect(environment.actionTimeouts == ["GetDiagnostics": .seconds(120), "UpdateFirmware": .seconds(90)])
        #expect(environment.commandSettings.timeout(for: "GetDiagnostics") == .seconds(120))
        #expect(environment.commandSettings.timeout(for: "Reset") == .seconds(7))
        #expect(environment.commandQueueSize == 5)
        #expect(environment.dataTransferEchoVendor)

        let file = try await loadConfiguration(
            file:
                #"{"commands": {"actionTimeouts": ["GetLog=60"], "queueSize": 0}, "dataTransfer": {"echoVendor": false}}"#
        )
        #expect(file.actionTimeouts == ["GetLog": .seconds(60)])
        #expect(file.commandQueueSize == 0)
    }

    @Test(arguments: ["Reset", "Reset=0", "Reset=3601", "=5", "Re set=5", "Reset=abc"])
    func invalidActionTimeoutIsRefused(entry: String) async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await loadConfiguration(environment: ["CSMS_COMMANDS_ACTION_TIMEOUTS": entry])
        }
    }

    @Test func queueSizeOutOfRangeIsRefused() async throws {
        await #expect(throws: ConfigurationError.self) {
            _ = try await loadConfiguration(environment: ["CSMS_COMMANDS_QUEUE_SIZE": "10001"])
        }
    }

    @Test func keysAreListedForConfigFiles() {
        for key in [SettingKey.commandsActionTimeouts, .commandsQueueSize, .dataTransferEchoVendor] {
            #expect(SettingKey.all.contains(key))
        }
        #expect(SettingKey.commandsQueueSize.flag == "--commands-queue-size")
        #expect(SettingKey.dataTransferEchoVendor.environmentVariable == "CSMS_DATA_TRANSFER_ECHO_VENDOR")
    }
}
