import CSMSServer
import Configuration
import Foundation
import OCPP
import Testing

@Suite("Configuration: sources, precedence, validation")
struct ConfigurationTests {
    @Test("defaults run out of the box")
    func defaults() async throws {
        let configuration = try await loadConfiguration()
        #expect(configuration == ServerConfiguration())
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 9000)
        #expect(configuration.database == .sqlite(path: "./csms-data/csms.sqlite"))
        #expect(configuration.securityProfile == .basicAuthWhenPasswordSet)
        #expect(configuration.unknownChargePoints == .reject)
        #expect(configuration.callTimeout == .seconds(30))
        #expect(configuration.webSocket.maxMessageSize == 256 * 1024)
        #expect(configuration.ocppVersions == Set(OCPPVersion.allCases))
        #expect(configuration.apiToken == nil)
    }

    @Test("command line > environment > file > default, key by key")
    func precedence() async throws {
        let file = """
            {"port": 7001, "host": "0.0.0.0", "callTimeout": 12, "unknownChargePoints": "pending",
             "websocket": {"maxMessageSize": 4096}}
            """
        let environment = ["CSMS_PORT": "7002", "CSMS_HOST": "127.0.0.2", "CSMS_WEBSOCKET_MAX_MESSAGE_SIZE": "8192"]
        let commandLine: [SettingKey: ConfigValue] = [.port: .init(.int(7003), isSecret: false)]
        let configuration = try await loadConfiguration(commandLine: commandLine, environment: environment, file: file)
        #expect(configuration.port == 7003)  // command line
        #expect(configuration.host == "127.0.0.2")  // environment
        #expect(configuration.webSocket.maxMessageSize == 8192)  // environment over nested file key
        #expect(configuration.callTimeout == .seconds(12))  // file
        #expect(configuration.unknownChargePoints == .pending)  // file
        #expect(configuration.securityProfile == .basicAuthWhenPasswordSet)  // default
    }

    @Test("event loop threads: half the cores by default (at least one), or the configured count")
    func eventLoopThreads() async throws {
        let automatic = try await loadConfiguration()
        #expect(automatic.eventLoopThreads == 0)
        #expect(automatic.eventLoopThreadCount(cores: 1) == 1)
        #expect(automatic.eventLoopThreadCount(cores: 2) == 1)
        #expect(automatic.eventLoopThreadCount(cores: 8) == 4)
        let three = try await loadConfiguration(environment: ["CSMS_EVENT_LOOP_THREADS": "3"])
        #expect(three.eventLoopThreadCount(cores: 2) == 3)
        await #expect(throws: ConfigurationError.self) {
            try await loadConfiguration(environment: ["CSMS_EVENT_LOOP_THREADS": "2000"])
        }
    }

    @Test("commit gathering: 2 ms by default, configurable in microseconds, 0 turns it off")
    func commitGatherDelay() async throws {
        #expect(try await loadConfiguration().commitGatherDelay == .milliseconds(2))
        let off = try await loadConfiguration(environment: ["CSMS_STORAGE_COMMIT_GATHER_MICROSECONDS": "0"])
        #expect(off.commitGatherDelay == .zero)
        let longer = try await loadConfiguration(environment: ["CSMS_STORAGE_COMMIT_GATHER_MICROSECONDS": "5000"])
        #expect(longer.commitGatherDelay == .milliseconds(5))
        await #expect(throws: ConfigurationError.self) {
            try await loadConfiguration(environment: ["CSMS_STORAGE_COMMIT_GATHER_MICROSECONDS": "200000"])
        }
    }

    @Test("storage.walWriteBufferBytes: 1 MiB by default, 0 turns it off, bounded")
    func walWriteBuffer() async throws {
        #expect(try await loadConfiguration().walWriteBufferBytes == 1 << 20)
        let off = try await loadConfiguration(environment: ["CSMS_STORAGE_WAL_WRITE_BUFFER_BYTES": "0"])
        #expect(off.walWriteBufferBytes == 0)
        await #expect(throws: ConfigurationError.self) {
            try await loadConfiguration(environment: ["CSMS_STORAGE_WAL_WRITE_BUFFER_BYTES": "100000000"])
        }
    }

    @Test("every setting's flag is its --set assignment, with the value after a space or =")
    func settingFlagsExpand() {
        #expect(
            SettingKey.expandingFlags([
                "serve", "--rate-limit-rate", "5", "--port=9100", "--unknown-charge-points", "accept",
            ])
                == ["serve", "--set", "rateLimit.rate=5", "--set", "port=9100", "--set", "unknownChargePoints=accept"])
        // Values may contain `=` and start with `-`; other options and words stay.
        #expect(
            SettingKey.expandingFlags(["--commands-action-timeouts=Reset=5", "--call-timeout", "-1", "--password", "p"])
                == ["--set", "commands.actionTimeouts=Reset=5", "--set", "callTimeout=-1", "--password", "p"])
        // A flag without its value, and everything after `--`, are left to the parser.
        #expect(SettingKey.expandingFlags(["--port"]) == ["--port"])
        #expect(SettingKey.expandingFlags(["--port", "--host", "h"]) == ["--port", "--set", "host=h"])
        #expect(SettingKey.expandingFlags(["--", "--port", "1"]) == ["--", "--port", "1"])
        // Every key has a flag of its own.
        #expect(Set(SettingKey.all.map(\.flag)).count == SettingKey.all.count)
    }

    @Test("environment variables and flags are derived from the key")
    func keyNames() {
        #expect(SettingKey.port.environmentVariable == "CSMS_PORT")
        #expect(SettingKey.unknownChargePoints.environmentVariable == "CSMS_UNKNOWN_CHARGE_POINTS")
        #expect(SettingKey.unknownChargePoints.flag == "--unknown-charge-points")
        #expect(SettingKey.webSocketMaxMessageSize.environmentVariable == "CSMS_WEBSOCKET_MAX_MESSAGE_SIZE")
        #expect(SettingKey.webSocketMaxMessageSize.flag == "--websocket-max-message-size")
        #expect(SettingKey.ocppVersions.flag == "--ocpp-versions")
    }

    @Test("lists, booleans, secrets and zero-means-off")
    func typedValues() async throws {
        let configuration = try await loadConfiguration(
            environment: [
                "CSMS_OCPP_VERSIONS": "ocpp1.6, ocpp2.0.1", "CSMS_WEBSOCKET_COMPRESSION": "false",
                "CSMS_API_TOKEN": "s3cret", "CSMS_WEBSOCKET_PING_INTERVAL": "0", "CSMS_DATABASE": "sqlite:/tmp/x.db",
            ])
        #expect(configuration.ocppVersions == [.v16, .v201])
        #expect(configuration.webSocket.compression == false)
        #expect(configuration.apiToken == "s3cret")
        #expect(configuration.webSocket.pingInterval == nil)
        #expect(configuration.database == .sqlite(path: "/tmp/x.db"))
        let fromFile = try await loadConfiguration(
            file: #"{"ocpp": {"versions": ["ocpp2.1"]}, "websocket": {"compression": false}}"#)
        #expect(fromFile.ocppVersions == [.v21])
        #expect(fromFile.webSocket.compression == false)
    }

    @Test(
        "present but invalid values stop the program instead of falling back",
        arguments: [
            ["CSMS_PORT": "abc"], ["CSMS_PORT": "70000"], ["CSMS_SECURITY_PROFILE": "4"],
            ["CSMS_UNKNOWN_CHARGE_POINTS": "maybe"], ["CSMS_OCPP_VERSIONS": "ocpp1.5"],
            ["CSMS_DATABASE": "postgres://x"], ["CSMS_LOG_FORMAT": "xml"], ["CSMS_WEBSOCKET_COMPRESSION": "sometimes"],
        ])
    func invalidValues(environment: [String: String]) async {
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(environment: environment) }
    }

    @Test("a config file with an unknown key, bad JSON or a missing path is refused")
    func badFiles() async throws {
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(file: #"{"prot": 1}"#) }
        await #expect(throws: ConfigurationError.self) {
            try await loadConfiguration(file: #"{"websocket": {"maxSize": 1}}"#)
        }
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(file: "[1]") }
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(file: "{") }
        await #expect(throws: ConfigurationError.self) {
            try await ConfigurationSources.reader(commandLine: [:], environment: [:], configFile: "/nonexistent/c.json")
        }
    }

    @Test("CSMS_CONFIG names the file when --config is not given")
    func configFromEnvironment() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csms-config-\(UUID()).json")
        try Data(#"{"port": 7100}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try await ConfigurationSources.reader(commandLine: [:], environment: ["CSMS_CONFIG": url.path])
        #expect(try ServerConfiguration(reader: reader).port == 7100)
    }

    @Test("security profiles 2 and 3 are refused for serving until TLS exists; 0 and 1 run")
    func profiles() async throws {
        for profile in [0, 1] {
            let configuration = try await loadConfiguration(environment: ["CSMS_SECURITY_PROFILE": "\(profile)"])
            try configuration.validateForServing()
        }
        for profile in [2, 3] {
            let configuration = try await loadConfiguration(environment: ["CSMS_SECURITY_PROFILE": "\(profile)"])
            #expect(throws: ConfigurationError.self) { try configuration.validateForServing() }
        }
    }
}
