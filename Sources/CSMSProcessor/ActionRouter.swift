import CSMSCore
import Logging
public import OCPP

/// The handlers by message set and action name. An action without a handler is answered
/// `NotImplemented` (a SEND without one is kept as a dead letter), never with a made-up success.
public struct ActionRouter: Sendable {
    struct Key: Hashable, Sendable {
        let family: OCPPVersion.Family
        let action: String
    }

    enum Entry: Sendable {
        case call(CallHandlerBox)
        case send(SendHandlerBox)
    }

    private(set) var entries: [Key: Entry] = [:]

    /// An empty router.
    public init() {}

    /// Routes CALLs of `handler`'s action in `family` to it (replacing an earlier handler).
    public mutating func register<H: OCPPHandler>(_ handler: H, for family: OCPPVersion.Family) {
        entries[Key(family: family, action: H.Action.name)] = .call(CallHandlerBox(handler))
    }

    /// Routes SENDs of `action` in `family` (2.1) to `handler`.
    public mutating func register<H: OCPPSendHandler>(send handler: H, action: String, for family: OCPPVersion.Family) {
        entries[Key(family: family, action: action)] = .send(SendHandlerBox(handler))
    }

    /// Whether the handler of `action` in `family` is a CALL handler whose only effects are its
    /// writes (`OCPPHandler.hasEffectsBeyondWrites` is `false`).
    func hasOnlyWrites(_ action: String, in family: OCPPVersion.Family) -> Bool {
        guard case .call(let box) = entries[Key(family: family, action: action)] else { return false }
        return !box.hasEffectsBeyondWrites
    }

    /// Whether a handler is registered for `action` in `family`.
    public func hasHandler(for action: String, in family: OCPPVersion.Family) -> Bool {
        entries[Key(family: family, action: action)] != nil
    }

    func entry(for action: String, in family: OCPPVersion.Family) -> Entry? {
        entries[Key(family: family, action: action)]
    }
}

/// A CALL handler with its types erased.
struct CallHandlerBox: Sendable {
    /// Runs the handler on a validated request; returns the encoded response and the writes.
    let run: @Sendable (any OCPPPayload, HandlerContext) async throws -> (JSONValue, [StoreWrite])
    /// The handler's `hasEffectsBeyondWrites`.
    let hasEffectsBeyondWrites: Bool

    init<H: OCPPHandler>(_ handler: H) {
        hasEffectsBeyondWrites = handler.hasEffectsBeyondWrites
        run = { request, context in
            guard let typed = request as? H.Action.Request else {
                throw HandlerWiringError(
                    message: "handler of \(H.Action.name) expects \(H.Action.Request.self), got \(type(of: request))")
            }
            let result = try await handler.handle(typed, context: context)
            let json = result.response.encode()
            if context.configuration.validatesResponses {
                let violations = H.Action.Response.violations(of: json)
                if !violations.isEmpty { throw InvalidResponseError(failure: ValidationFailure(violations)) }
            }
            return (json, result.writes)
        }
    }
}

/// A SEND handler with its types erased.
struct SendHandlerBox: Sendable {
    /// Runs the handler on a validated request; returns the writes.
    let run: @Sendable (any OCPPPayload, HandlerContext) async throws -> [StoreWrite]

    init<H: OCPPSendHandler>(_ handler: H) {
        run = { request, context in
            guard let typed = request as? H.Request else {
                throw HandlerWiringError(message: "SEND handler expects \(H.Request.self), got \(type(of: request))")
            }
            return try await handler.handle(typed, context: context)
        }
    }
}

/// A handler was registered for an action whose registry entry has another request type.
struct HandlerWiringError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A handler built a response that breaks the response schema (a bug in the handler).
struct InvalidResponseError: Error, CustomStringConvertible {
    let failure: ValidationFailure
    var description: String { "response breaks its schema: \(failure.description)" }
}

/// The end of the pipeline: builds the handler context and runs the routed handler.
///
/// A class: every step of the chain passes it on (`CallChain`), and a reference is one retain
/// where the struct's copy was one per field.
final class HandlerDispatch: Sendable {
    let router: ActionRouter
    let store: any CSMSStore
    let clock: any WallClock
    let configuration: ProcessorConfiguration
    let services: HandlerServices
    /// The live configuration, read for every call when present (configuration reload).
    let live: LiveValue<ProcessorConfiguration>?

    init(
        router: ActionRouter, store: any CSMSStore, clock: any WallClock, configuration: ProcessorConfiguration,
        services: HandlerServices, live: LiveValue<ProcessorConfiguration>? = nil
    ) {
        self.router = router
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.services = services
        self.live = live
    }

    func dispatch(_ call: InboundCall) async -> CallOutcome {
        let family = call.session.version.family
        guard let entry = router.entry(for: call.call.action, in: family) else {
            return .error(
                .notImplemented, "this CSMS does not implement the action in OCPP \(family.rawValue) yet",
                messageId: call.call.messageId)
        }
        guard let request = call.request else {
            return .internalFailure(call, reason: "handler_error", error: "request reached the handler unvalidated")
        }
        var context = HandlerContext(
            chargePointId: call.session.chargePointId, version: call.session.version, messageId: call.call.messageId,
            action: call.actionName, correlationId: call.correlationId, now: call.receivedAt, clock: clock,
            logger: call.sessionLogger,
            store: StoreReader(store), configuration: live?.current ?? configuration, services: services)
        context.hasClientCertificate = call.session.hasClientCertificate
        do {
            switch entry {
            case .call(let box) where call.expectsReply:
                let (response, writes) = try await box.run(request, context)
                return CallOutcome(answer: .result(response), writes: writes)
            case .send(let box) where !call.expectsReply:
                return CallOutcome(answer: .none, writes: try await box.run(request, context))
            case .call, .send:
                throw HandlerWiringError(message: "handler kind does not match the message type")
            }
        } catch {
            call.logger.error("handler failed", metadata: ["error": "\(error)"])
            return .internalFailure(call, reason: "handler_error", error: "\(error)")
        }
    }
}
