/// The state of a charging transaction. The active states are OCPP 2.0.1
/// `ChargingStateEnumType` (E01-E15) plus `started` for a transaction whose charging state
/// has not been reported (every 1.6 transaction, a 2.x Started without `chargingState`).
public enum TransactionState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Started; no charging state reported yet.
    case started = "Started"
    /// 2.x `EVConnected`: cable plugged, not charging.
    case evConnected = "EVConnected"
    /// 2.x `Charging`: energy flows.
    case charging = "Charging"
    /// 2.x `SuspendedEV`: the EV suspends charging.
    case suspendedEV = "SuspendedEV"
    /// 2.x `SuspendedEVSE`: the EVSE suspends charging.
    case suspendedEVSE = "SuspendedEVSE"
    /// 2.x `Idle`: no cable, or the EV does not draw.
    case idle = "Idle"
    /// Ended (1.6 StopTransaction, 2.x Ended, or closed by the CSMS as superseded).
    case ended = "Ended"

    /// Whether the transaction is still running.
    public var isActive: Bool { self != .ended }

    /// The state a 2.x `chargingState` value names (`nil` for an unknown value).
    public init?(chargingState: String) {
        guard let state = TransactionState(rawValue: chargingState), state != .started, state != .ended else {
            return nil
        }
        self = state
    }
}

/// What a transaction message says happened.
public enum TransactionEventKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// 1.6 StartTransaction, 2.x `Started`.
    case started = "Started"
    /// 2.x `Updated`.
    case updated = "Updated"
    /// 1.6 StopTransaction, 2.x `Ended`.
    case ended = "Ended"
}

/// The transaction state machine: a pure table of valid transitions, tested without I/O
/// (docs/transactions.md).
///
/// | from \ event | Started | Updated | Ended |
/// |---|---|---|---|
/// | (none) | the reported state, or `started` | the reported state; anomaly `missing_start` | `ended`; anomaly `missing_start` |
/// | active | unchanged; anomaly `duplicate_start` | the reported state, or unchanged | `ended` |
/// | `ended` | `ended`; anomaly `start_after_end` | `ended`; anomaly `update_after_end` | `ended`; anomaly `duplicate_end` |
///
/// Between active states every change is valid (Charging ↔ SuspendedEV ↔ SuspendedEVSE ↔
/// Idle ↔ EVConnected), except back to `started`. A message that breaks the table is still
/// acknowledged and its data kept (invariant 2); the anomaly records both states.
public enum TransactionStateMachine {
    /// The result of applying one event.
    public struct Transition: Sendable, Equatable {
        /// The state before (`nil`: the transaction was not known).
        public var from: TransactionState?
        /// The state after.
        public var to: TransactionState
        /// The anomaly code when the event broke the table, e.g. `update_after_end`.
        public var anomaly: String?

        /// Whether the event followed the table.
        public var isValid: Bool { anomaly == nil }

        /// A transition.
        public init(from: TransactionState?, to: TransactionState, anomaly: String? = nil) {
            self.from = from
            self.to = to
            self.anomaly = anomaly
        }
    }

    /// The states reachable from each state by a valid event (`nil` key: an unknown
    /// transaction). A state may always stay the same on `Updated`.
    public static let validTargets: [TransactionState?: Set<TransactionState>] = {
        let active: Set<TransactionState> = [.evConnected, .charging, .suspendedEV, .suspendedEVSE, .idle]
        var table: [TransactionState?: Set<TransactionState>] = [nil: active.union([.started])]
        table[.started] = active.union([.started, .ended])
        for state in active { table[state] = active.union([.ended]) }
        table[.ended] = []
        return table
    }()

    /// Applies `event` (with the charging state it reports, if any) to a transaction in
    /// `state` (`nil`: not known yet).
    public static func apply(
        _ event: TransactionEventKind, reporting chargingState: TransactionState? = nil, to state: TransactionState?
    ) -> Transition {
        let reported = chargingState.flatMap { $0 == .started || $0 == .ended ? nil : $0 }
        switch (state, event) {
        case (nil, .started):
            return Transition(from: nil, to: reported ?? .started)
        case (nil, .updated):
            return Transition(from: nil, to: reported ?? .started, anomaly: "missing_start")
        case (nil, .ended):
            return Transition(from: nil, to: .ended, anomaly: "missing_start")
        case (.ended?, .started):
            return Transition(from: .ended, to: .ended, anomaly: "start_after_end")
        case (.ended?, .updated):
            return Transition(from: .ended, to: .ended, anomaly: "update_after_end")
        case (.ended?, .ended):
            return Transition(from: .ended, to: .ended, anomaly: "duplicate_end")
        case (let current?, .started):
            return Transition(from: current, to: current, anomaly: "duplicate_start")
        case (let current?, .updated):
            let target = reported ?? current
            let valid = validTargets[current]?.contains(target) ?? false
            return valid
                ? Transition(from: current, to: target)
                : Transition(from: current, to: current, anomaly: "invalid_transition")
        case (let current?, .ended):
            return Transition(from: current, to: .ended)
        }
    }
}
