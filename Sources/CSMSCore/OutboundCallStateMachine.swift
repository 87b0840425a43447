public import OCPP

/// One CALL the CSMS wants to send to a station.
public struct OutboundCall: Sendable, Equatable {
    /// The command this CALL carries.
    public var commandId: String
    /// The CALL's message id (fresh per command).
    public var messageId: String
    /// The action.
    public var action: String
    /// The request payload (already schema-valid).
    public var payload: JSONValue

    /// A CALL.
    public init(commandId: String, messageId: String, action: String, payload: JSONValue) {
        self.commandId = commandId
        self.messageId = messageId
        self.action = action
        self.payload = payload
    }

    /// The CALL frame `[2, messageId, action, payload]`.
    public var frame: RPCFrame { .call(RPCCall(messageId: messageId, action: action, payload: payload)) }
}

/// The outbound CALLs of one station connection, without I/O: at most one CALL in flight
/// (OCPP-J 1.6 §4.1.1, 2.0.1 Part 4 §4.1.1; design invariant 4), a bounded FIFO queue behind
/// it, correlation of replies by message id, timeouts and disconnects.
///
/// Every method returns what the caller must do (send the next CALL, complete a command);
/// time is not read here: the caller decides when a timeout has passed and calls
/// `timeoutFired(messageId:)`, which is ignored for a CALL that is no longer in flight.
public struct OutboundCallStateMachine: Sendable {
    /// The most CALLs that may wait behind the one in flight.
    public let queueCapacity: Int
    /// How many timed-out message ids are remembered to recognise late replies.
    public let lateMemory: Int

    /// The CALL written to the station and not yet answered or timed out.
    public private(set) var inFlight: OutboundCall?
    /// The CALLs waiting, oldest first.
    public private(set) var queue: [OutboundCall] = []
    /// Whether the connection ended (nothing is accepted any more).
    public private(set) var isClosed = false
    /// Replies whose message id matched nothing (neither in flight nor recently timed out).
    public private(set) var unknownReplies = 0
    /// Replies that arrived after their CALL timed out.
    public private(set) var lateReplies = 0

    private var timedOut: [String: String] = [:]  // message id -> command id
    private var timedOutOrder: [String] = []

    /// A machine with room for `queueCapacity` waiting CALLs.
    public init(queueCapacity: Int, lateMemory: Int = 64) {
        precondition(queueCapacity >= 0 && lateMemory >= 0)
        self.queueCapacity = queueCapacity
        self.lateMemory = lateMemory
    }

    /// What `enqueue` decided.
    public enum EnqueueAction: Sendable, Equatable {
        /// Nothing is in flight: send this CALL now (it is in flight from now on).
        case send(OutboundCall)
        /// Waiting behind the CALL in flight, at this 1-based position in the queue.
        case queued(position: Int)
        /// The queue is full; the CALL was not taken.
        case queueFull
        /// The connection ended; the CALL was not taken.
        case closed
    }

    /// Takes a new CALL: in flight at once when the slot is free, else at the queue's end.
    public mutating func enqueue(_ call: OutboundCall) -> EnqueueAction {
        guard !isClosed else { return .closed }
        guard inFlight != nil else {
            inFlight = call
            return .send(call)
        }
        guard queue.count < queueCapacity else { return .queueFull }
        queue.append(call)
        return .queued(position: queue.count)
    }

    /// What a reply means.
    public enum ReplyAction: Sendable, Equatable {
        /// It answers the CALL in flight, which is done; `next` (if any) is in flight now and
        /// must be sent.
        case answered(OutboundCall, next: OutboundCall?)
        /// It answers a CALL that already timed out (the command is to be marked late).
        case late(commandId: String)
        /// It matches no CALL of ours (logged and counted; nothing else changes).
        case unknown
    }

    /// A CALLRESULT or CALLERROR with `messageId` arrived.
    public mutating func replyReceived(messageId: String) -> ReplyAction {
        if let call = inFlight, call.messageId == messageId {
            return .answered(call, next: advance())
        }
        if let commandId = timedOut.removeValue(forKey: messageId) {
            timedOutOrder.removeAll { $0 == messageId }
            lateReplies += 1
            return .late(commandId: commandId)
        }
        unknownReplies += 1
        return .unknown
    }

    /// What a timeout means.
    public enum TimeoutAction: Sendable, Equatable {
        /// The CALL in flight timed out; `next` (if any) is in flight now and must be sent.
        case timedOut(OutboundCall, next: OutboundCall?)
        /// The CALL is no longer in flight (answered meanwhile): nothing to do.
        case ignored
    }

    /// The timeout of the CALL with `messageId` has passed.
    public mutating func timeoutFired(messageId: String) -> TimeoutAction {
        guard let call = inFlight, call.messageId == messageId else { return .ignored }
        remember(call)
        return .timedOut(call, next: advance())
    }

    /// What `abandon` did.
    public enum AbandonAction: Sendable, Equatable {
        /// The CALL was still queued and is removed.
        case removedFromQueue(OutboundCall)
        /// The CALL was in flight (it could not be written or recorded) and is given up;
        /// `next` (if any) is in flight now and must be sent.
        case releasedSlot(OutboundCall, next: OutboundCall?)
        /// No such CALL here.
        case notFound
    }

    /// Gives up command `commandId`: an operator cancel of a queued command, or a CALL that
    /// could not be written. A later reply to it counts as unknown.
    public mutating func abandon(commandId: String) -> AbandonAction {
        if let call = inFlight, call.commandId == commandId {
            return .releasedSlot(call, next: advance())
        }
        if let index = queue.firstIndex(where: { $0.commandId == commandId }) {
            return .removedFromQueue(queue.remove(at: index))
        }
        return .notFound
    }

    /// The connection ended: returns the CALL in flight and the queued ones, in order, all of
    /// which fail; later `enqueue`s answer `.closed`.
    public mutating func close() -> [OutboundCall] {
        isClosed = true
        var failed = inFlight.map { [$0] } ?? []
        failed += queue
        inFlight = nil
        queue = []
        return failed
    }

    private mutating func advance() -> OutboundCall? {
        inFlight = queue.isEmpty ? nil : queue.removeFirst()
        return inFlight
    }

    private mutating func remember(_ call: OutboundCall) {
        guard lateMemory > 0 else { return }
        timedOut[call.messageId] = call.commandId
        timedOutOrder.append(call.messageId)
        if timedOutOrder.count > lateMemory {
            timedOut[timedOutOrder.removeFirst()] = nil
        }
    }
}
