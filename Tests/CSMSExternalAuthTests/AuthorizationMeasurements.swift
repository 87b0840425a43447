import CSMSCore
import CSMSProcessor
import CSMSStorageSQLite
import CSMSTesting
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSExternalAuth

/// The issue's numbers (docs/benchmarks.md, "Authorization"), measured through the message
/// processor. They print what they measure and check only behaviour (never a time): run with
/// `CSMS_MEASURE=1 swift test --filter AuthorizationMeasurements`.
@Suite("Authorization measurements", .enabled(if: ProcessInfo.processInfo.environment["CSMS_MEASURE"] != nil))
struct AuthorizationMeasurements {
    static func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func boot(_ processor: MessageProcessor, _ session: StationSession) async throws {
        let boot = #"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#
        guard case .reply = await processor.handle(Array(boot.utf8), session: session) else {
            throw MeasurementFailure(description: "boot not answered")
        }
    }

    @Test func authorizeFromTheRegistry() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(
            (0..<10_000).map { .upsertIdToken(IdTokenRecord(idToken: "TAG-\($0)", createdAt: Date())) })
        let processor = MessageProcessor(
            store: store, configuration: ProcessorConfiguration(unknownChargePoints: .accept),
            services: HandlerServices(authorizer: RegistryAuthorizer(store: store)), logger: Logger(label: "m"))
        // The authorizer alone (one registry read per decision).
        let authorizer = RegistryAuthorizer(store: store)
        var decisions: [Duration] = []
        for n in 0..<5000 {
            let request = AuthorizationRequest(
                chargePointId: ChargePointID("CP-M")!, token: AuthorizationToken(id: "TAG-\(n % 10_000)"), at: Date())
            var status = AuthorizationStatus.invalid
            decisions.append(await ContinuousClock().measure { status = await authorizer.authorize(request).status })
            guard status == .accepted else { throw MeasurementFailure(description: "decision \(n) not accepted") }
        }
        decisions.sort()
        print(
            "registry decision (RegistryAuthorizer on SQLite, 10k tokens): p50 \(Self.percentile(decisions, 0.5)), "
                + "p99 \(Self.percentile(decisions, 0.99))")

        let session = StationSession(chargePointId: ChargePointID("CP-M")!, version: .v16)
        try await Self.boot(processor, session)
        var durations: [Duration] = []
        let clock = ContinuousClock()
        for n in 0..<5000 {
            let frame = Array(#"[2,"m\#(n)","Authorize",{"idTag":"TAG-\#(n % 10_000)"}]"#.utf8)
            var result: InboundResult?
            durations.append(await clock.measure { result = await processor.handle(frame, session: session) })
            guard case .reply(let bytes)? = result, String(decoding: bytes, as: UTF8.self).contains("Accepted") else {
                throw MeasurementFailure(description: "Authorize \(n) not accepted")
            }
        }
        durations.sort()
        print(
            "authorize from the registry (SQLite, 10k tokens, through the pipeline incl. the stored answer): "
                + "p50 \(Self.percentile(durations, 0.5)), p99 \(Self.percentile(durations, 0.99)), "
                + "max \(durations.last!)")
        try await store.close()
    }

    @Test func thousandConcurrentAuthorizeThroughASlowWebhook() async throws {
        let webhook = FakeWebhook()
        webhook.mode = .answer("Accepted", delay: .milliseconds(50))
        try await webhook.run { url in
            let external = WebhookAuthorizer(
                configuration: ExternalAuthorizerConfiguration(url: url, timeout: .seconds(10), concurrencyLimit: 32),
                logger: Logger(label: "m"))
            let store = InMemoryStore()
            let processor = MessageProcessor(
                store: store, configuration: ProcessorConfiguration(unknownChargePoints: .accept),
                services: HandlerServices(authorizer: RegistryAuthorizer(store: store, external: external)),
                logger: Logger(label: "m"))
            let stations = (0..<1000).map { StationSession(chargePointId: ChargePointID("CP-\($0)")!, version: .v16) }
            for session in stations { try await Self.boot(processor, session) }
            let other = StationSession(chargePointId: ChargePointID("CP-OTHER")!, version: .v16)
            try await Self.boot(processor, other)

            let clock = ContinuousClock()
            let start = clock.now
            let (accepted, heartbeats) = await withTaskGroup(of: (Bool, Duration?).self) { group in
                for (n, session) in stations.enumerated() {
                    group.addTask {
                        let frame = Array(#"[2,"a","Authorize",{"idTag":"EXT-\#(n)"}]"#.utf8)
                        guard case .reply(let bytes) = await processor.handle(frame, session: session) else {
                            return (false, nil)
                        }
                        return (String(decoding: bytes, as: UTF8.self).contains("Accepted"), nil)
                    }
                }
                group.addTask {
                    // Another station's Heartbeats meanwhile, one every 10 ms.
                    var worst = Duration.zero
                    for n in 0..<50 {
                        let frame = Array(#"[2,"h\#(n)","Heartbeat",{}]"#.utf8)
                        let took = await clock.measure { _ = await processor.handle(frame, session: other) }
                        worst = max(worst, took)
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    return (true, worst)
                }
                var accepted = 0
                var heartbeat = Duration.zero
                for await (ok, worst) in group {
                    if let worst { heartbeat = worst } else if ok { accepted += 1 }
                }
                return (accepted, heartbeat)
            }
            let elapsed = clock.now - start
            print(
                "1000 concurrent Authorize via a 50 ms webhook, limit 32: \(accepted) accepted in \(elapsed); "
                    + "webhook peak concurrency \(webhook.peakConcurrency); "
                    + "slowest Heartbeat of another station meanwhile \(heartbeats)")
            #expect(accepted == 1000)
            #expect(webhook.peakConcurrency <= 32)
            try await external.shutdown()
        }
    }
}

struct MeasurementFailure: Error, CustomStringConvertible {
    var description: String
}
