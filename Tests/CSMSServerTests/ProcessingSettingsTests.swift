import CSMSCore
import CSMSProcessor
import CSMSServer
import Configuration
import Foundation
import Testing

@Suite("Configuration: processing settings and rate limits")
struct ProcessingSettingsTests {
    @Test("defaults, and what they give the processor")
    func defaults() async throws {
        let settings = try await loadConfiguration().processing
        #expect(settings == ProcessingSettings())
        let processor = settings.processorConfiguration(unknownChargePoints: .pending)
        #expect(processor.heartbeatInterval == .seconds(300))
        #expect(processor.bootRetryInterval == .seconds(60))
        #expect(processor.idempotencyWindow == .seconds(86_400))
        #expect(processor.unknownChargePoints == .pending)
        #expect(processor.rateLimit == RateLimitSettings())
    }

    @Test("environment and nested file keys; rate 0 turns rate limits off")
    func sources() async throws {
        let configuration = try await loadConfiguration(
            environment: ["CSMS_OCPP_HEARTBEAT_INTERVAL": "60", "CSMS_RATE_LIMIT_BURST": "7"],
            file: #"{"ocpp": {"idempotencyWindow": 3600}, "rateLimit": {"rate": 2.5, "disconnectAfter": 9}}"#)
        let settings = configuration.processing
        #expect(settings.heartbeatInterval == .seconds(60))
        #expect(settings.idempotencyWindow == .seconds(3600))
        #expect(settings.rateLimit?.rate == 2.5)
        #expect(settings.rateLimit?.burst == 7)
        #expect(settings.rateLimit?.disconnectAfter == 9)
        #expect(try await loadConfiguration(environment: ["CSMS_RATE_LIMIT_RATE": "0"]).processing.rateLimit == nil)
        #expect(SettingKey.rateLimitTransactionBurst.environmentVariable == "CSMS_RATE_LIMIT_TRANSACTION_BURST")
    }

    @Test("the spill file sits next to the SQLite file unless set; the database retry policy")
    func spillAndRetry() async throws {
        let defaults = ProcessingSettings()
        #expect(defaults.spillFilePath(for: .sqlite(path: "/var/lib/csms/csms.sqlite")) == "/var/lib/csms/spill.jsonl")
        #expect(defaults.spillFilePath(for: .sqlite(path: DatabaseLocation.inMemoryPath)) == nil)
        let configured = try await loadConfiguration(
            environment: ["CSMS_SPILL_FILE": "/tmp/x/spill.jsonl", "CSMS_RETRY_DATABASE_MAX_ATTEMPTS": "2"],
            file: #"{"retry": {"database": {"baseDelay": 0.02, "maxTotal": 3}}}"#
        ).processing
        #expect(configured.spillFilePath(for: .sqlite(path: "/a/b.sqlite")) == "/tmp/x/spill.jsonl")
        #expect(
            configured.databaseRetry
                == RetryPolicy(
                    maxAttempts: 2, baseDelay: .milliseconds(20), maxDelay: .seconds(1), maxTotal: .seconds(3)))
        let processor = configured.processorConfiguration(
            unknownChargePoints: .reject, database: .sqlite(path: "/a/b.sqlite"))
        #expect(processor.spillFilePath == "/tmp/x/spill.jsonl")
        #expect(processor.commitRetry.maxAttempts == 2)
        let off = try await loadConfiguration(environment: ["CSMS_SPILL_FILE": ""]).processing
        #expect(off.spillFilePath(for: .sqlite(path: "/a/b.sqlite")) == nil)
    }

    @Test(
        "invalid values are refused",
        arguments: [
            ["CSMS_OCPP_HEARTBEAT_INTERVAL": "0"], ["CSMS_RATE_LIMIT_RATE": "fast"], ["CSMS_RATE_LIMIT_RATE": "-1"],
            ["CSMS_RATE_LIMIT_BURST": "0"], ["CSMS_OCPP_BOOT_RETRY_INTERVAL": "x"],
        ])
    func invalid(environment: [String: String]) async {
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(environment: environment) }
    }
}
