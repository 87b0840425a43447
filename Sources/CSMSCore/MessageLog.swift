public import Foundation
import Synchronization

/// One frame in the OCPP message log (docs/operations.md, "Message log"): what went in or out
/// of a station's connection, when, and how long the CSMS took to answer it.
public struct MessageLogEntry: Sendable, Equatable {
    /// Which way the frame went.
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        /// From the station to the CSMS.
        case inbound = "in"
        /// From the CSMS to the station.
        case outbound = "out"
    }

    /// Store-assigned, increasing; `nil` before it is stored.
    public var id: Int64?
    /// The station.
    public var chargePointId: ChargePointID
    /// When the frame was received or sent.
    public var at: Date
    /// Which way it went.
    public var direction: Direction
    /// The OCPP-J message type (2 CALL, 3 CALLRESULT, 4 CALLERROR, 5 CALLRESULTERROR, 6 SEND;
    /// 0 when the frame could not be decoded).
    public var messageType: Int
    /// The action (CALLs and SENDs; for replies the action of the CALL when known).
    public var action: String?
    /// The message id ("" when the frame could not be decoded).
    public var messageId: String
    /// The frame's size in bytes.
    public var size: Int
    /// Microseconds from receiving an inbound CALL to its answer being ready; `nil` otherwise.
    public var processingMicros: Int?
    /// The frame itself, when the log keeps payloads (`MessageLogMode.full`).
    public var payload: String?
    /// For a CALLERROR / CALLRESULTERROR: its error code.
    public var errorCode: String?

    /// An entry.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, at: Date, direction: Direction, messageType: Int,
        action: String?, messageId: String, size: Int, processingMicros: Int? = nil, payload: String? = nil,
        errorCode: String? = nil
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.at = at
        self.direction = direction
        self.messageType = messageType
        self.action = action
        self.messageId = messageId
        self.size = size
        self.processingMicros = processingMicros
        self.payload = payload
        self.errorCode = errorCode
    }
}

/// How much the message log keeps.
public enum MessageLogMode: String, Sendable, Equatable, CaseIterable {
    /// Nothing.
    case off
    /// Time, direction, type, action, id, size and processing time; no payloads.
    case metadata
    /// Everything, the frame included.
    case full
}

/// The store side of the message log. The log is diagnostic and kept apart from the
/// stations' state: appends are not part of any `commit`, and a store may keep the log in a
/// database of its own with weaker durability (docs/storage.md, "The message log database").
public protocol MessageLogStore: Sendable {
    /// Appends entries in order; the store assigns their ids (increasing, never reused; given
    /// ids are ignored). The charge points need not be registered.
    func appendMessageLog(_ entries: [MessageLogEntry]) async throws(StoreError)

    /// Entries of `chargePointId`, oldest first, with an id above `after`, optionally of one
    /// action, at most `limit`.
    func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int) async throws(StoreError)
        -> [MessageLogEntry]

    /// Deletes entries older than `date`, and for each station all but its newest
    /// `maxPerStation`; returns how many were deleted.
    func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int
}

/// Collects message log entries from the connections without waiting for the database: a
/// bounded buffer that a background writer empties into the store in batches. When the buffer
/// is full the oldest entries are dropped and counted (the log is diagnostic; it never slows
/// down or fails message processing).
public final class MessageLogRecorder: Sendable {
    /// What the log keeps (`messageLog.mode`; a configuration reload changes it).
    public var mode: MessageLogMode {
        get { MessageLogMode.allCases[modeIndex.load(ordering: .relaxed)] }
        set { modeIndex.store(MessageLogMode.allCases.firstIndex(of: newValue)!, ordering: .relaxed) }
    }
    private let modeIndex: Atomic<Int>
    /// The most entries held before the oldest are dropped.
    public let capacity: Int
    private let buffer = Mutex(Buffer())

    /// A ring once full: the newest entry overwrites the oldest in place. (Dropping the oldest
    /// with `removeFirst` moved the whole buffer on every entry once it was full, under the
    /// lock: with 100,000 entries that took a third of the CPU of an overloaded server.)
    struct Buffer {
        var entries: [MessageLogEntry] = []
        /// The oldest entry once `entries` is full.
        var head = 0
        var dropped = 0

        mutating func append(_ entry: MessageLogEntry, capacity: Int) {
            if entries.count < capacity {
                entries.append(entry)
            } else {
                entries[head] = entry
                head = (head + 1) % entries.count
                dropped += 1
            }
        }

        /// The entries, oldest first.
        var inOrder: [MessageLogEntry] {
            head == 0 ? entries : Array(entries[head...]) + entries[..<head]
        }
    }

    /// A recorder keeping `mode`, holding at most `capacity` unwritten entries.
    public init(mode: MessageLogMode, capacity: Int = 100_000) {
        self.modeIndex = Atomic(MessageLogMode.allCases.firstIndex(of: mode)!)
        self.capacity = max(1, capacity)
    }

    /// Adds an entry (its payload is removed unless the mode is `full`); does nothing when off.
    public func record(_ entry: MessageLogEntry) {
        let mode = mode
        guard mode != .off else { return }
        var entry = entry
        if mode != .full { entry.payload = nil }
        buffer.withLock { $0.append(entry, capacity: capacity) }
    }

    /// The entries held, not yet taken.
    public var pendingCount: Int { buffer.withLock { $0.entries.count } }

    /// Takes every buffered entry, oldest first, and the number dropped since the last take.
    public func take() -> (entries: [MessageLogEntry], dropped: Int) {
        buffer.withLock { b in
            defer { b = Buffer() }
            return (b.inOrder, b.dropped)
        }
    }
}
