public import Foundation

/// What a store does with one transaction write: the pure decision, shared by every store
/// implementation so that they apply the same rules (docs/transactions.md). The store looks
/// up what the decision needs inside its write transaction, calls `apply`, and persists the
/// outcome.
public enum TransactionLedger {
    /// What to persist.
    public struct Outcome: Sendable, Equatable {
        /// The transaction to insert (`sequence` 0) or replace; `nil`: none.
        public var transaction: Transaction?
        /// Other transactions to replace (closed as superseded).
        public var closed: [Transaction] = []
        /// Samples to insert (identical ones already stored are skipped by the store).
        public var samples: [MeterSample] = []
        /// Anomalies to insert.
        public var anomalies: [TransactionAnomaly] = []
        /// Whether the event is recorded in the transaction's event log (its seqNo is then
        /// taken).
        public var recordsEvent: Bool = false
        /// When set, the station's shadow changed (a transaction started, changed state or
        /// ended): its `stateVersion` goes up by one and `updatedAt` becomes this date.
        public var stationChangedAt: Date?

        /// Nothing to persist.
        public static let unchanged = Outcome()
    }

    /// The decision for a transaction event.
    ///
    /// - Parameters:
    ///   - update: the event.
    ///   - existing: the stored transaction of the same station and id.
    ///   - activeOnConnector: for a start, the station's other active transactions on the
    ///     same EVSE and connector.
    ///   - foreignOwner: for a 1.6 event of an unknown id, the station that owns the id.
    public static func apply(
        _ update: TransactionUpdate, existing: Transaction?, activeOnConnector: [Transaction] = [],
        foreignOwner: ChargePointID? = nil
    ) -> Outcome {
        let u = update
        var outcome = Outcome()
        let samples = u.samples.map { sample in
            var s = sample
            s.transactionId = u.transactionId
            return s
        }
        outcome.samples = samples
        func anomaly(_ kind: String, _ detail: String, from: String? = nil, to: String? = nil, tx: String? = nil)
            -> TransactionAnomaly
        {
            TransactionAnomaly(
                chargePointId: u.chargePointId, transactionId: tx ?? u.transactionId, kind: kind, detail: detail,
                fromState: from, toState: to, messageId: u.messageId, at: u.receivedAt)
        }
        if u.timestamp > u.receivedAt.addingTimeInterval(u.allowedClockSkew) {
            outcome.anomalies.append(
                anomaly("timestamp_in_future", "the \(u.kind.rawValue) timestamp is ahead of the CSMS clock"))
        }

        // 1.6: the CSMS assigns ids, so an unknown id is the station's mistake: kept as an
        // anomaly (with its samples), never a new transaction, never another station's.
        if u.ocpp16Id != nil, existing == nil, u.kind != .started {
            let kind = foreignOwner == nil ? "unknown_transaction" : "foreign_transaction"
            let whose = foreignOwner == nil ? "an unknown transaction" : "a transaction of another station"
            var detail = "\(u.kind == .ended ? "StopTransaction" : "message") for \(whose)"
            if let stop = u.meterStop { detail += " (meterStop \(stop.formatted16), reason \(u.stopReason ?? "none"))" }
            outcome.anomalies.append(anomaly(kind, detail))
            return outcome
        }

        // A 1.6 stop sent again with a new message id but the same content changes nothing.
        if u.ocpp16Id != nil, u.kind == .ended, let e = existing, e.state == .ended,
            e.stoppedAt == u.timestamp.wholeMilliseconds, e.meterStop == u.meterStop
        {
            return .unchanged
        }

        let transition = TransactionStateMachine.apply(u.kind, reporting: u.chargingState, to: existing?.state)
        outcome.recordsEvent = true
        var t =
            existing
            ?? Transaction(
                chargePointId: u.chargePointId, transactionId: u.transactionId, ocpp16Id: u.ocpp16Id,
                state: transition.to, startedAt: u.timestamp.wholeMilliseconds,
                createdAt: u.receivedAt.wholeMilliseconds)
        if let kind = transition.anomaly {
            let requested = u.kind == .ended ? "Ended" : (u.chargingState?.rawValue ?? u.kind.rawValue)
            outcome.anomalies.append(
                anomaly(
                    kind, "\(u.kind.rawValue) event not valid in state \(transition.from?.rawValue ?? "none")",
                    from: transition.from?.rawValue ?? "none", to: requested))
        }
        let valid = transition.isValid || existing == nil
        if valid {
            t.state = transition.to
            merge(u, into: &t)
        }
        t.offline = t.offline || u.offline
        if let seq = u.seqNo {
            t.minSeqNo = min(t.minSeqNo ?? seq, seq)
            t.maxSeqNo = max(t.maxSeqNo ?? seq, seq)
        }
        t.eventCount += 1
        if let low = t.minSeqNo, let high = t.maxSeqNo { t.seqNoGaps = max(0, high - low + 1 - t.eventCount) }
        t.updatedAt = u.receivedAt.wholeMilliseconds

        check(samples, of: &t, allowedClockSkew: u.allowedClockSkew, receivedAt: u.receivedAt) { kind, detail in
            outcome.anomalies.append(anomaly(kind, detail))
        }
        if valid, u.kind == .ended {
            t.meterStop = u.meterStop ?? endRegister(samples) ?? t.lastEnergyWh
            if let start = t.meterStart, let stop = t.meterStop, stop < start {
                outcome.anomalies.append(
                    anomaly(
                        "meter_stop_below_start",
                        "meterStop \(stop.formatted16) Wh is below meterStart \(start.formatted16) Wh"))
            }
        }

        if existing == nil, u.kind == .started {
            for other in activeOnConnector where other.transactionId != u.transactionId && other.state.isActive {
                if u.supersedesActive {
                    var closed = other
                    closed.state = .ended
                    closed.stoppedAt = u.timestamp.wholeMilliseconds
                    closed.stopReason = "Superseded"
                    closed.updatedAt = u.receivedAt.wholeMilliseconds
                    outcome.closed.append(closed)
                    outcome.anomalies.append(
                        anomaly(
                            "superseded",
                            "closed because transaction \(u.transactionId) started on the same connector",
                            from: other.state.rawValue, to: "Ended", tx: other.transactionId))
                } else {
                    outcome.anomalies.append(
                        anomaly(
                            "concurrent_start",
                            "started while transaction \(other.transactionId) is active on the same connector"))
                }
            }
        }
        outcome.transaction = t
        if existing?.state != t.state || !outcome.closed.isEmpty {
            outcome.stationChangedAt = u.receivedAt.wholeMilliseconds
        }
        return outcome
    }

    /// The decision for a MeterValues message: the samples are always kept; for a named
    /// transaction the meter sanity checks run and its latest register value moves on; an
    /// unknown or foreign transaction id is an anomaly.
    public static func apply(
        _ update: MeterValuesUpdate, transaction: Transaction?, foreignOwner: ChargePointID? = nil
    ) -> Outcome {
        var outcome = Outcome()
        outcome.samples = update.samples.map { sample in
            var s = sample
            s.transactionId = update.transactionId
            return s
        }
        func record(_ kind: String, _ detail: String) {
            outcome.anomalies.append(
                TransactionAnomaly(
                    chargePointId: update.chargePointId, transactionId: update.transactionId, kind: kind,
                    detail: detail, messageId: update.messageId, at: update.receivedAt))
        }
        guard update.transactionId != nil else {
            let future = update.samples.filter {
                $0.timestamp > update.receivedAt.addingTimeInterval(update.allowedClockSkew)
            }
            if !future.isEmpty {
                record("timestamp_in_future", "\(future.count) meter values are ahead of the CSMS clock")
            }
            return outcome
        }
        guard var t = transaction else {
            record(
                foreignOwner == nil ? "unknown_transaction" : "foreign_transaction",
                "MeterValues for \(foreignOwner == nil ? "an unknown transaction" : "a transaction of another station")"
            )
            return outcome
        }
        check(update.samples, of: &t, allowedClockSkew: update.allowedClockSkew, receivedAt: update.receivedAt, record)
        t.updatedAt = update.receivedAt.wholeMilliseconds
        outcome.transaction = t
        return outcome
    }

    /// Copies what the event reports onto the transaction.
    private static func merge(_ u: TransactionUpdate, into t: inout Transaction) {
        if let evse = u.evseId { t.evseId = evse }
        if let connector = u.connectorId { t.connectorId = connector }
        if let token = u.idToken {
            if t.idToken == nil || (u.kind == .started && t.eventCount == 0) {
                t.idToken = token
                t.authorizationStatus = u.authorizationStatus
            } else if token != t.idToken {
                if u.kind == .ended { t.stopIdToken = token }
            } else if let status = u.authorizationStatus {
                t.authorizationStatus = status
            }
        }
        if let reason = u.triggerReason { t.lastTriggerReason = reason }
        if let id = u.remoteStartId { t.remoteStartId = id }
        if let id = u.reservationId { t.reservationId = id }
        if let n = u.numberOfPhasesUsed { t.numberOfPhasesUsed = n }
        if let a = u.cableMaxCurrent { t.cableMaxCurrent = a }
        if t.meterStart == nil { t.meterStart = u.meterStart ?? beginRegister(u.samples) }
        if u.kind == .ended {
            t.stoppedAt = u.timestamp.wholeMilliseconds
            t.stopReason = u.stopReason
        }
    }

    /// Meter sanity (never blocks): register going backwards, values outside the
    /// transaction's time window, values ahead of the CSMS clock. Moves the latest register.
    private static func check(
        _ samples: [MeterSample], of t: inout Transaction, allowedClockSkew: TimeInterval, receivedAt: Date,
        _ record: (String, String) -> Void
    ) {
        var backwards = 0
        for sample in samples.sorted(by: { $0.timestamp < $1.timestamp }) {
            guard let wh = sample.energyRegisterWh else { continue }
            let at = sample.timestamp.wholeMilliseconds
            if let lastAt = t.lastEnergyAt, let last = t.lastEnergyWh {
                if at > lastAt && wh < last { backwards += 1 }
                if at >= lastAt {
                    t.lastEnergyWh = wh
                    t.lastEnergyAt = at
                }
            } else {
                t.lastEnergyWh = wh
                t.lastEnergyAt = at
            }
        }
        if backwards > 0 {
            record("energy_register_backwards", "the energy register went backwards \(backwards) times")
        }
        let outside = samples.filter { s in
            let at = s.timestamp.wholeMilliseconds
            return at < t.startedAt || (t.stoppedAt.map { at > $0 } ?? false)
        }
        if !outside.isEmpty {
            record(
                "meter_value_outside_transaction", "\(outside.count) meter values are outside the transaction's time")
        }
        let future = samples.filter { $0.timestamp > receivedAt.addingTimeInterval(allowedClockSkew) }
        if !future.isEmpty { record("timestamp_in_future", "\(future.count) meter values are ahead of the CSMS clock") }
    }

    /// The register value of a `Transaction.Begin` sample, else of the earliest one.
    private static func beginRegister(_ samples: [MeterSample]) -> Double? {
        let energy = samples.filter { $0.energyRegisterWh != nil }
        return (energy.first { $0.context == "Transaction.Begin" } ?? energy.min { $0.timestamp < $1.timestamp })?
            .energyRegisterWh
    }

    /// The register value of a `Transaction.End` sample, else of the latest one.
    private static func endRegister(_ samples: [MeterSample]) -> Double? {
        let energy = samples.filter { $0.energyRegisterWh != nil }
        return (energy.first { $0.context == "Transaction.End" } ?? energy.max { $0.timestamp < $1.timestamp })?
            .energyRegisterWh
    }
}

extension Date {
    /// The date rounded to the nearest millisecond (as stores keep dates).
    var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

extension Double {
    /// Integral values without a fraction (1.6 meter values are integers).
    var formatted16: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
