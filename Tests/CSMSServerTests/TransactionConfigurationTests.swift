import CSMSServer
import Configuration
import Foundation
import Testing

@Suite("Configuration: transaction settings")
struct TransactionConfigurationTests {
    @Test("defaults, environment, nested file keys, and invalid values")
    func transactionSettings() async throws {
        #expect(
            try await loadConfiguration().transactions
                == TransactionServerSettings(supersedeStale: true, clockSkew: .seconds(300)))
        #expect(SettingKey.transactionsSupersedeStale.flag == "--transactions-supersede-stale")
        #expect(SettingKey.transactionsClockSkew.environmentVariable == "CSMS_TRANSACTIONS_CLOCK_SKEW")

        let fromEnvironment = try await loadConfiguration(environment: [
            "CSMS_TRANSACTIONS_SUPERSEDE_STALE": "false", "CSMS_TRANSACTIONS_CLOCK_SKEW": "30",
        ])
        #expect(
            fromEnvironment.transactions == TransactionServerSettings(supersedeStale: false, clockSkew: .seconds(30)))
        let fromFile = try await loadConfiguration(
            file: #"{"transactions": {"supersedeStale": false, "clockSkew": 0}}"#)
        #expect(fromFile.transactions == TransactionServerSettings(supersedeStale: false, clockSkew: .zero))

        await #expect(throws: ConfigurationError.self) {
            _ = try await loadConfiguration(environment: ["CSMS_TRANSACTIONS_CLOCK_SKEW": "-1"])
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await loadConfiguration(environment: ["CSMS_TRANSACTIONS_SUPERSEDE_STALE": "maybe"])
        }
    }
}
