public import Foundation

/// One connected/offline transition of a station (availability history, docs/reliability.md).
public struct AvailabilityEvent: Sendable, Equatable {
    /// Whether the station came online or went offline.
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// A WebSocket session was admitted.
        case connected
        /// The session ended.
        case offline
    }

    /// Store-assigned, increasing; `nil` before it is stored.
    public var id: Int64?
    /// The station.
    public var chargePointId: ChargePointID
    /// When the transition happened.
    public var at: Date
    /// The new state.
    public var state: State
    /// Why it went offline (`closed_by_station`, `replaced`, `half_open`, `missed_heartbeats`,
    /// `shutdown`, `rate_limit`, `protocol_error`); `nil` for `connected`.
    public var reason: String?
    /// The WebSocket session.
    public var sessionId: UUID?

    /// An event.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, at: Date, state: State, reason: String? = nil,
        sessionId: UUID? = nil
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.at = at
        self.state = state
        self.reason = reason
        self.sessionId = sessionId
    }
}

/// The store side of the availability history.
public protocol AvailabilityStoreReading: Sendable {
    /// Transitions of `chargePointId`, oldest first, with an id above `after`, at most `limit`.
    func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int) async throws(StoreError)
        -> [AvailabilityEvent]
}
