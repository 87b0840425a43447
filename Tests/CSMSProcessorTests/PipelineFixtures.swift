import CSMSCore
import Foundation
import InMemoryLogging
import Logging
import MetricsTestKit
import OCPP
import Synchronization

@testable import CSMSProcessor

// Test-only actions that exercise the pipeline's mechanics independently of the generated
// message sets: a request with one required bounded integer and an optional short string.

/// `{"n": integer 0...1000 (required), "note": string maxLength 5}`.
struct TestRequest: OCPPPayload {
    var n: Int
    var note: String?

    static func decode(_ value: JSONValue, _ context: inout DecodingContext) -> TestRequest? {
        guard let o = context.object(value) else { return nil }
        context.rejectUnknownKeys(o, ["n", "note"])
        let n = context.field(o, "n", required: true) { c, v in
            c.integer(v, minimum: 0, maximum: 1000, allowsIntegralFraction: false)
        }
        let note = context.field(o, "note", required: false) { c, v in c.string(v, maxLength: 5) }
        guard let n else { return nil }
        return TestRequest(n: n, note: note)
    }

    func encode() -> JSONValue {
        var o: JSONObject = ["n": .number(JSONNumber(n))]
        if let note { o["note"] = .string(note) }
        return .object(o)
    }
}

/// `{"n": integer >= 0}`.
struct TestResponse: OCPPPayload {
    var n: Int

    static func decode(_ value: JSONValue, _ context: inout DecodingContext) -> TestResponse? {
        guard let o = context.object(value) else { return nil }
        context.rejectUnknownKeys(o, ["n"])
        guard
            let n = context.field(
                o, "n", required: true, { c, v in c.integer(v, minimum: 0, allowsIntegralFraction: false) })
        else { return nil }
        return TestResponse(n: n)
    }

    func encode() -> JSONValue { ["n": .number(JSONNumber(n))] }
}

enum PingAction: OCPPAction {
    typealias Request = TestRequest
    typealias Response = TestResponse
    static let name = "TestPing"
    static let direction = ActionDirection.chargePointToCSMS
}

enum ThrowAction: OCPPAction {
    typealias Request = TestRequest
    typealias Response = TestResponse
    static let name = "TestThrow"
    static let direction = ActionDirection.chargePointToCSMS
}

enum FakeBootAction: OCPPAction {
    typealias Request = TestRequest
    typealias Response = TestResponse
    static let name = "BootNotification"
    static let direction = ActionDirection.chargePointToCSMS
}

/// Registries of the test actions: `TestPing`, `TestThrow`, a fake `BootNotification`,
/// `TestCommand` (CSMS to station only), `TestUnhandled` (no handler), and in 2.1 the SEND
/// actions `TestStream` (handled) and `TestStreamUnhandled`.
func testRegistries() -> [ActionRegistry] {
    let common = [
        ActionDescriptor(PingAction.self), ActionDescriptor(ThrowAction.self), ActionDescriptor(FakeBootAction.self),
        ActionDescriptor(
            name: "TestCommand", direction: .csmsToChargePoint, request: PayloadType(TestRequest.self),
            response: PayloadType(TestResponse.self)),
        ActionDescriptor(
            name: "TestUnhandled", direction: .chargePointToCSMS, request: PayloadType(TestRequest.self),
            response: PayloadType(TestResponse.self)),
    ]
    let sends = [
        ActionDescriptor(
            name: "TestStream", direction: .chargePointToCSMS, request: PayloadType(TestRequest.self), response: nil),
        ActionDescriptor(
            name: "TestStreamUnhandled", direction: .chargePointToCSMS, request: PayloadType(TestRequest.self),
            response: nil),
    ]
    return [
        ActionRegistry(family: .v16, descriptors: common),
        ActionRegistry(family: .v201, descriptors: common),
        ActionRegistry(family: .v21, descriptors: common + sends),
    ]
}

/// Counts handler runs, so tests can tell a replayed answer from a re-run.
final class RunCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Answers `n` (or `n - 1` when the note is "bad", which breaks the response schema at 0);
/// writes `recordSeen`.
struct PingHandler: OCPPHandler {
    typealias Action = PingAction
    let runs: RunCounter
    /// `false` to test the commit-time idempotency check of handlers whose only effects are writes.
    var hasEffectsBeyondWrites = true

    func handle(_ request: TestRequest, context: HandlerContext) async throws -> HandlerResult<TestResponse> {
        runs.increment()
        let n = request.note == "bad" ? request.n - 1 : request.n
        return HandlerResult(
            response: TestResponse(n: n), writes: [.recordSeen(id: context.chargePointId, at: context.now)])
    }
}

struct HandlerFailure: Error, CustomStringConvertible {
    var description: String { "the handler failed on purpose" }
}

struct ThrowingHandler: OCPPHandler {
    typealias Action = ThrowAction
    func handle(_ request: TestRequest, context: HandlerContext) async throws -> HandlerResult<TestResponse> {
        throw HandlerFailure()
    }
}

/// Decides with the real registration policy and records the boot (vendor/model fixed).
struct FakeBootHandler: OCPPHandler {
    typealias Action = FakeBootAction
    func handle(_ request: TestRequest, context: HandlerContext) async throws -> HandlerResult<TestResponse> {
        let decision = try await BootRegistration.decide(context: context)
        let info = BootInfo(vendor: "Test", model: "T\(request.n)")
        return HandlerResult(
            response: TestResponse(n: decision.interval),
            writes: decision.writes(id: context.chargePointId, info: info, version: context.version, at: context.now))
    }
}

/// A SEND handler that records the station as seen.
struct StreamHandler: OCPPSendHandler {
    let runs: RunCounter
    func handle(_ request: TestRequest, context: HandlerContext) async throws -> [StoreWrite] {
        runs.increment()
        return [.recordSeen(id: context.chargePointId, at: context.now)]
    }
}

/// A clock the test sets.
final class TestClock: WallClock {
    private let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { date.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A processor over the test registries and handlers, with in-memory logs and metrics.
struct PipelineHarness {
    let store: FaultInjectingStore
    let clock = TestClock()
    let runs = RunCounter()
    let logs = InMemoryLogHandler()
    let metrics = TestMetrics()
    var configuration = ProcessorConfiguration.acceptingUnknown
    let processor: MessageProcessor

    init(
        store: FaultInjectingStore = FaultInjectingStore(),
        configuration: ProcessorConfiguration = .acceptingUnknown, pingHasOnlyWrites: Bool = false
    ) {
        self.store = store
        self.configuration = configuration
        var router = ActionRouter()
        let ping = PingHandler(runs: runs, hasEffectsBeyondWrites: !pingHasOnlyWrites)
        router.register(ping, for: .v16)
        router.register(ping, for: .v201)
        router.register(ping, for: .v21)
        for family in OCPPVersion.Family.allCases {
            router.register(ThrowingHandler(), for: family)
            router.register(FakeBootHandler(), for: family)
        }
        router.register(send: StreamHandler(runs: runs), action: "TestStream", for: .v21)
        let logs = self.logs
        processor = MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: configuration, clock: clock,
            logger: Logger(
                label: "test",
                factory: { _ in
                    var handler = logs
                    handler.logLevel = .debug
                    return handler
                }), metricsFactory: metrics)
    }

    /// Sends `text` on `session` and returns the result.
    func send(_ text: String, _ session: StationSession) async -> InboundResult {
        await processor.handle(Array(text.utf8), session: session)
    }
}

let cp1 = ChargePointID("CP-1")!

func session(_ version: OCPPVersion, _ id: ChargePointID = cp1) -> StationSession {
    StationSession(chargePointId: id, version: version)
}

extension InboundResult {
    /// The reply frame, decoded.
    var replyFrame: RPCFrame? {
        guard case .reply(let bytes) = self else { return nil }
        return try? RPCFrame.decode(bytes, version: .v21)
    }

    /// The CALLERROR of the reply, if it is one.
    var callError: RPCCallError? {
        if case .callError(let e)? = replyFrame { return e }
        return nil
    }

    /// The CALLRESULT payload of the reply, if it is one.
    var resultPayload: JSONValue? {
        if case .callResult(let r)? = replyFrame { return r.payload }
        return nil
    }

    /// The raw reply bytes.
    var replyBytes: [UInt8]? {
        if case .reply(let b) = self { return b }
        return nil
    }
}

extension ProcessorConfiguration {
    /// The defaults, except that unknown charge points are registered and accepted and a
    /// failed commit is not retried (the failure-path tests inject single failures).
    static let acceptingUnknown = ProcessorConfiguration(unknownChargePoints: .accept, commitRetry: .none)
}
