import Benchmark
import CSMSCore
import CSMSProcessor
import CSMSStorageSQLite
import Foundation
import Logging
import OCPP

// Issue #5: "Authorize answered from the registry in under 1 ms p99 in-process". Three
// measurements over a registry of 10,000 tokens (docs/benchmarks.md, "Authorization"):
// the decision alone on an SQLite file (WAL, as `csms serve` runs it), and the whole
// processor (decode, registration gate, idempotency, decision, commit of the stored answer,
// encode) on an SQLite file with synchronous=FULL and on an in-memory database.

/// A store with the registry, an authorizer and a processor with a booted 1.6 station.
final class Fixture: @unchecked Sendable {
    nonisolated(unsafe) static var file: Fixture?
    nonisolated(unsafe) static var memory: Fixture?

    let store: SQLiteStore
    let authorizer: RegistryAuthorizer
    let processor: MessageProcessor
    let session = StationSession(chargePointId: ChargePointID("CP-BENCH")!, version: .v16)
    var next = 0

    init(inMemory: Bool) async throws {
        if inMemory {
            store = try SQLiteStore.inMemory()
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csms-auth-\(UUID())")
            store = try SQLiteStore(path: folder.appendingPathComponent("csms.sqlite").path)
        }
        try await store.commit(
            (0..<10_000).map { .upsertIdToken(IdTokenRecord(idToken: "TAG-\($0)", createdAt: Date())) })
        authorizer = RegistryAuthorizer(store: store)
        processor = MessageProcessor(
            store: store, configuration: ProcessorConfiguration(unknownChargePoints: .accept),
            services: HandlerServices(authorizer: authorizer), logger: Logger(label: "bench"))
        let boot = #"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#
        guard case .reply = await processor.handle(Array(boot.utf8), session: session) else {
            throw BenchmarkFailure(description: "boot not answered")
        }
    }

    /// The next token and message id (every Authorize is a new message).
    func take() -> Int {
        next += 1
        return next
    }

    /// One Authorize CALL through the processor; fails unless Accepted.
    func authorizeThroughProcessor() async throws {
        let n = take()
        let frame = Array(#"[2,"a\#(n)","Authorize",{"idTag":"TAG-\#(n % 10_000)"}]"#.utf8)
        guard case .reply(let bytes) = await processor.handle(frame, session: session),
            String(decoding: bytes, as: UTF8.self).contains("Accepted")
        else { throw BenchmarkFailure(description: "Authorize \(n) not accepted") }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 200,
        maxDuration: .seconds(5),
        maxIterations: 20_000
    )

    Benchmark(
        "Authorize decision: RegistryAuthorizer, SQLite file, 10,000 tokens",
        closure: { benchmark in
            let fixture = Fixture.file!
            for _ in benchmark.scaledIterations {
                let n = fixture.take()
                let request = AuthorizationRequest(
                    chargePointId: fixture.session.chargePointId,
                    token: AuthorizationToken(id: "TAG-\(n % 10_000)"), at: Date())
                let status = await fixture.authorizer.authorize(request).status
                guard status == .accepted else { fatalError("decision \(n): \(status)") }
            }
        }, setup: { Fixture.file = try await Fixture(inMemory: false) })

    Benchmark(
        "Authorize through the processor: SQLite file, synchronous=FULL",
        closure: { benchmark in
            for _ in benchmark.scaledIterations { try await Fixture.file!.authorizeThroughProcessor() }
        }, setup: { if Fixture.file == nil { Fixture.file = try await Fixture(inMemory: false) } })

    Benchmark(
        "Authorize through the processor: SQLite in memory",
        closure: { benchmark in
            for _ in benchmark.scaledIterations { try await Fixture.memory!.authorizeThroughProcessor() }
        }, setup: { Fixture.memory = try await Fixture(inMemory: true) })
}
