import CSMSServer
import Configuration
import Foundation
import Testing

@Suite("Configuration: transaction settings")
struct TransactionConfigurationTests {
    private func load(environment: [String: String] = [:], file: String? = nil) async throws -> ServerConfiguration {
        var path: String?
        if let file {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("csms-tx-config-\(UUID()).json")
            try Data(file.utf8).write(to: url)
            path = url.path
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        let reader = try await ConfigurationSources.reader(commandLine: [:], environment: environment, configFile: path)
        return try ServerConfiguration(reader: reader)
    }

    @Test("defaults, environment, nested file keys, and invalid values")
    func transactionSettings() async throws {
        #expect(
            try await load().transactions == TransactionServerSettings(supersedeStale: true, clockSkew: .seconds(300)))
        #expect(SettingKey.transactionsSupersedeStale.flag == "--transactions-supersede-stale")
        #expect(SettingKey.transactionsClockSkew.environmentVariable == "CSMS_TRANSACTIONS_CLOCK_SKEW")

        let fromEnvironment = try await load(environment: [
            "CSMS_TRANSACTIONS_SUPERSEDE_STALE": "false", "CSMS_TRANSACTIONS_CLOCK_SKEW": "30",
        ])
        #expect(
            fromEnvironment.transactions == TransactionServerSettings(supersedeStale: false, clockSkew: .seconds(30)))
        let fromFile = try await load(file: #"{"transactions": {"supersedeStale": false, "clockSkew": 0}}"#)
        #expect(fromFile.transactions == TransactionServerSettings(supersedeStale: false, clockSkew: .zero))

        await #expect(throws: ConfigurationError.self) {
            _ = try await load(environment: ["CSMS_TRANSACTIONS_CLOCK_SKEW": "-1"])
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await load(environment: ["CSMS_TRANSACTIONS_SUPERSEDE_STALE": "maybe"])
        }
    }
}
