public import CSMSCore
public import CoreMetrics
import Foundation
public import Logging
public import OCPP

/// The message processor: decodes each inbound frame, runs every CALL (and 2.1 SEND) through
/// the pipeline, and returns what the connection sends back.
///
/// Pipeline, outermost first (design.md):
/// 1. context/logging: correlation id, logger metadata, correlation id in CALLERROR details;
/// 2. metrics: `ocpp.messages.received`, `ocpp.handler.duration`;
/// 3. rate limiting (`ProcessorConfiguration.rateLimit`): `GenericError` over the limit, close
///    with 1008 when a station keeps flooding;
/// 4. commit: the writes of everything below (handler writes, stored answer, dead letters)
///    in one `commit` before the answer leaves;
/// 5. registration gate: `SecurityError` until the station's boot was accepted;
/// 6. idempotency: a retried message gets its stored answer; a new answer is stored;
/// 7. schema validation: the action's registry entry decodes the payload;
/// 8. router: the handler for (message set, action), or `NotImplemented`.
///
/// Replies from the station (CALLRESULT, CALLERROR, CALLRESULTERROR) go back to the
/// connection's outbound-call tracker untouched; undecodable frames are answered or ignored
/// exactly as `RPCFrame.decode` says.
public struct MessageProcessor: InboundMessageHandling {
    let store: any CSMSStore
    let clock: any WallClock
    private let configuration: ProcessorConfiguration
    let logger: Logger
    private let metrics: ProcessorMetrics
    let registries: [OCPPVersion.Family: ActionRegistry]
    let chain: CallChain
    /// The spill file of transaction messages the database could not take, if configured.
    public let spill: SpillFile?
    /// Where every frame in and every answer out is logged (docs/operations.md, "Message log").
    let messageLog: MessageLogRecorder?

    /// A processor over `store` that knows the actions of `registries` (one per message set)
    /// and runs the handlers of `router` with `services`.
    public init(
        store: any CSMSStore, registries: [ActionRegistry], router: ActionRouter,
        configuration: ProcessorConfiguration = ProcessorConfiguration(), services: HandlerServices = HandlerServices(),
        clock: any WallClock = SystemWallClock(), logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, messageLog: MessageLogRecorder? = nil,
        liveConfiguration: LiveValue<ProcessorConfiguration>? = nil
    ) {
        self.init(
            store: store, registries: registries, router: router, configuration: configuration, services: services,
            clock: clock, logger: logger, metricsFactory: metricsFactory, rateLimit: nil, messageLog: messageLog,
            liveConfiguration: liveConfiguration)
    }

    /// As the public initializer, with `rateLimit` replacing the rate-limiting step that
    /// `configuration.rateLimit` describes (tests pass their own).
    ///
    /// With `liveConfiguration` (configuration reload, docs/configuration.md "Reload"), the rate
    /// limits and the handlers' configuration (registration policy, intervals, transaction
    /// settings) are read from it for every message; the other settings (idempotency window,
    /// commit retries, spill file) stay as `configuration` has them.
    init(
        store: any CSMSStore, registries: [ActionRegistry], router: ActionRouter, configuration: ProcessorConfiguration,
        services: HandlerServices, clock: any WallClock, logger: Logger, metricsFactory: any MetricsFactory,
        rateLimit: (any CallStep)?, messageLog: MessageLogRecorder? = nil,
        liveConfiguration: LiveValue<ProcessorConfiguration>? = nil
    ) {
        self.messageLog = messageLog
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        let metrics = ProcessorMetrics(factory: metricsFactory)
        self.metrics = metrics
        var byFamily: [OCPPVersion.Family: ActionRegistry] = [:]
        for registry in registries { byFamily[registry.family] = registry }
        self.registries = byFamily
        let spill = configuration.spillFilePath.map { SpillFile(path: $0) }
        self.spill = spill

        var steps: [any CallStep] = [ContextStep(), MetricsStep(metrics: metrics)]
        if let step = rateLimit {
            steps.append(step)
        } else if let liveConfiguration {
            steps.append(RateLimitStep(source: { liveConfiguration.current.rateLimit }, metrics: metrics, store: store))
        } else if let settings = configuration.rateLimit {
            steps.append(RateLimitStep(settings: settings, metrics: metrics, store: store))
        }
        steps += [
            CommitStep(
                store: store, retry: configuration.commitRetry, spill: spill, spillActions: configuration.spillActions,
                metrics: metrics),
            RegistrationGate(store: store, cache: RegistrationGateCache()),
            IdempotencyStep(
                store: store, window: configuration.idempotencyWindow, rerunActions: configuration.rerunActions,
                checksAtCommit: { family, action in router.hasOnlyWrites(action, in: family) }),
            ValidationStep(),
        ]
        chain = CallChain(
            steps: steps,
            dispatch: HandlerDispatch(
                router: router, store: store, clock: clock, configuration: configuration, services: services,
                live: liveConfiguration))
    }

    /// Processes one inbound frame of `session` (see `InboundMessageHandling`).
    public func handle(_ frame: [UInt8], session: StationSession, logger: Logger) async -> InboundResult {
        let receivedAt = clock.now()
        guard let messageLog, messageLog.mode != .off else {
            return await process(frame, session: session, logger: logger, receivedAt: receivedAt).result
        }
        let start = ContinuousClock.now
        let (result, decoded) = await process(frame, session: session, logger: logger, receivedAt: receivedAt)
        MessageLogging.record(
            frame, decoded: decoded, result: result, session: session, receivedAt: receivedAt,
            elapsed: ContinuousClock.now - start, into: messageLog)
        return result
    }

    /// Processes one inbound frame of `session`, logging with the processor's logger and the
    /// session's metadata (for callers without a connection logger: tools and tests).
    public func handle(_ frame: [UInt8], session: StationSession) async -> InboundResult {
        await handle(frame, session: session, logger: logger.withSession(session))
    }

    /// `handle`, also returning the decoded frame (`nil` when it could not be decoded).
    private func process(
        _ frame: [UInt8], session: StationSession, logger: Logger, receivedAt: Date
    ) async -> (result: InboundResult, decoded: RPCFrame?) {
        let decoded: RPCFrame
        do {
            decoded = try RPCFrame.decode(frame, version: session.version)
        } catch {
            metrics.received(
                version: session.version, action: ProcessorMetrics.noAction, frameType: ProcessorMetrics.invalidFrame)
            switch error.response {
            case .callError(let callError):
                logger.warning(
                    "frame refused", metadata: ["reason": "\(error.reason)", "error_code": "\(callError.code)"])
                return (.reply(RPCFrame.callError(callError).encoded()), nil)
            case .ignore:
                await keepIgnored(frame, session: session, logger: logger, receivedAt: receivedAt, reason: error.reason)
                return (.none, nil)
            }
        }

        switch decoded {
        case .callResult, .callError, .callResultError:
            metrics.received(
                version: session.version, action: ProcessorMetrics.noAction, frameType: decoded.messageType.metricLabel)
            logger.debug(
                "reply received", metadata: [LogKey.messageId: "\(decoded.messageId)"])
            return (.outboundReply(decoded), decoded)
        case .call(let call), .send(let call):
            let inbound = InboundCall(
                .init(
                    session: session, messageType: decoded.messageType, call: call, rawFrame: frame,
                    descriptor: registries[session.version.family]?[call.action], receivedAt: receivedAt,
                    sessionLogger: logger))
            let outcome = await chain(inbound)
            guard inbound.expectsReply else { return (.none, decoded) }
            let reply: [UInt8]
            switch outcome.answer {
            case .result(let payload):
                reply = RPCFrame.callResult(RPCCallResult(messageId: call.messageId, payload: payload)).encoded()
            case .error(let error):
                reply = RPCFrame.callError(error).encoded()
            case .encoded(let bytes), .replayed(let bytes):
                reply = bytes
            case .none:
                return (.none, decoded)
            }
            if let reason = outcome.closeConnection { return (.replyAndClose(reply, reason: reason), decoded) }
            return (.reply(reply), decoded)
        }
    }

    /// Keeps a frame that is never answered (the specification says so) as a dead letter, so
    /// that it is not dropped silently either (invariant 7). Not inlined into `process`: its
    /// locals would enlarge the async frame every message allocates.
    @inline(never)
    private func keepIgnored(
        _ frame: [UInt8], session: StationSession, logger: Logger, receivedAt: Date, reason: String
    ) async {
        logger.notice("frame ignored", metadata: ["reason": "\(reason)"])
        let letter = DeadLetter(
            chargePointId: session.chargePointId, protocolVersion: session.version.subprotocol,
            rawFrame: String(decoding: frame, as: UTF8.self), reason: "frame_ignored", error: reason,
            receivedAt: receivedAt)
        do {
            try await store.commit([.addDeadLetter(letter)])
            metrics.deadLettersStored([.addDeadLetter(letter)])
        } catch {
            logger.error("ignored frame could not be kept as a dead letter", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes stored answers older than the idempotency window; returns how many. A
    /// background `Service` calls this periodically (a later issue).
    public func pruneStoredResponses() async throws(StoreError) -> Int {
        let cutoff = clock.now().addingTimeInterval(-configuration.idempotencyWindow.timeInterval)
        return try await store.pruneStoredResponses(olderThan: cutoff)
    }
}
