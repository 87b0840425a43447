public import CSMSCore
public import Foundation
public import Logging
public import OCPP

/// Handles one action of one message set: reads through the context, decides the answer and
/// returns it with the state changes to commit. The processor commits the writes (together
/// with the stored answer) before the answer is sent, so a handler never writes itself.
///
/// A thrown error becomes a CALLERROR `InternalError` and a dead letter (`handler_error`);
/// handlers never see sockets, SQL or frames.
public protocol OCPPHandler<Action>: Sendable {
    /// The generated action type (e.g. the 1.6 or 2.0.1 `BootNotification`).
    associatedtype Action: OCPPAction

    /// Handles a validated request.
    func handle(_ request: Action.Request, context: HandlerContext) async throws -> HandlerResult<Action.Response>

    /// Whether running the handler again for a retried message could be told apart from not
    /// running it: `false` when its only effects are the writes it returns (it may read).
    /// Default `true`. For a handler that says `false` the processor does not look for a
    /// stored answer before running it; the commit checks instead (`storeResponseUnlessAnswered`)
    /// and a retry's writes are dropped, which saves a read on every message
    /// (docs/processor.md, "Idempotency").
    var hasEffectsBeyondWrites: Bool { get }
}

extension OCPPHandler {
    /// Handlers have effects beyond their writes unless they say otherwise.
    public var hasEffectsBeyondWrites: Bool { true }
}

/// Handles a 2.1 SEND: a request that gets no answer. Returns the writes to commit.
public protocol OCPPSendHandler<Request>: Sendable {
    /// The generated request type.
    associatedtype Request: OCPPPayload

    /// Handles a validated request; the returned writes are committed.
    func handle(_ request: Request, context: HandlerContext) async throws -> [StoreWrite]
}

/// A handler's answer and the state changes that go with it.
public struct HandlerResult<Response: OCPPPayload>: Sendable {
    /// The response payload to send in the CALLRESULT.
    public var response: Response
    /// The writes to commit, in order and atomically, before the response is sent.
    public var writes: [StoreWrite]

    /// A result.
    public init(response: Response, writes: [StoreWrite] = []) {
        self.response = response
        self.writes = writes
    }
}

/// What a handler gets to work with.
public struct HandlerContext: Sendable {
    /// The station that sent the message.
    public let chargePointId: ChargePointID
    /// The session's negotiated version.
    public let version: OCPPVersion
    /// The message id of the request.
    public let messageId: String
    /// The correlation id of this message (also in logs and CALLERROR details).
    public let correlationId: String
    /// When the processor received the message (read from `clock` once per message; use it
    /// as "now" so that all writes of one message agree).
    public let now: Date
    /// The clock.
    public let clock: any WallClock
    /// The session's logger; `logger` adds the message's metadata.
    private let sessionLogger: Logger
    /// The action's name (the registry's), for the message's log lines.
    private let action: String
    /// Read access to the store.
    public let store: StoreReader
    /// The processor's configuration.
    public let configuration: ProcessorConfiguration
    /// The shared services (authorization, ...).
    public let services: HandlerServices
    /// Whether the station authenticated with a verified client certificate (set by the processor).
    public var hasClientCertificate = false

    /// A logger with the session's and the message's metadata (message id, action, correlation
    /// id), built on each use: most messages log nothing.
    public var logger: Logger {
        sessionLogger.withMessage(id: messageId, action: action, correlationId: correlationId)
    }

    /// A context (built by the processor; public for handler unit tests). `logger` carries the
    /// session's metadata; the message's is added when a line is logged.
    public init(
        chargePointId: ChargePointID, version: OCPPVersion, messageId: String, action: String,
        correlationId: String, now: Date, clock: any WallClock, logger: Logger, store: StoreReader,
        configuration: ProcessorConfiguration, services: HandlerServices = HandlerServices()
    ) {
        self.chargePointId = chargePointId
        self.version = version
        self.messageId = messageId
        self.action = action
        self.correlationId = correlationId
        self.now = now
        self.clock = clock
        self.sessionLogger = logger
        self.store = store
        self.configuration = configuration
        self.services = services
    }
}

/// The read side of a `CSMSStore`: what handlers may use (they return writes instead of
/// committing them).
public struct StoreReader: Sendable {
    let store: any CSMSStore

    /// Read access to `store`.
    public init(_ store: any CSMSStore) { self.store = store }

    /// The charge point, if registered.
    public func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try await store.chargePoint(id)
    }

    /// The current status of each connector of the station.
    public func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try await store.connectorStatuses(of: id)
    }

    /// The station's status history, newest first, at most `limit`.
    public func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        try await store.statusHistory(of: id, limit: limit)
    }
}
