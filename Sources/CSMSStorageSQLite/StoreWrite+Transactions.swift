import CSMSCore
import Foundation
import GRDB
import Synchronization

// Applying transaction writes: look up what `TransactionLedger` needs inside the write
// transaction, let it decide, persist the outcome (docs/transactions.md).

extension StoreWrite {
    static func applyTransaction(_ write: TransactionWrite, _ db: Database, cache: TransactionRowCache?) throws {
        switch write {
        case .event(let u):
            let cp = u.chargePointId.rawValue
            if let seq = u.seqNo {
                let seen = try Bool.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT 1 FROM transaction_events
                            WHERE charge_point_id = ? AND transaction_id = ? AND seq_no = ?
                            """),
                    arguments: [cp, u.transactionId, seq])
                if seen == true { return }
            }
            if let id = u.ocpp16Id, u.kind == .started, let meterStart = u.meterStart, let connector = u.connectorId,
                let tag = u.idToken?.id
            {
                let stored = try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT ocpp16_id FROM transactions
                            WHERE ocpp16_id IS NOT NULL AND charge_point_id = ? AND connector_id = ? AND id_token = ?
                                AND started_at = ? AND meter_start = ?
                            """),
                    arguments: [cp, connector, tag, u.timestamp.unixMilliseconds, meterStart])
                if let stored {
                    if stored == id { return }
                    throw StoreError(.conflict, "the same StartTransaction is stored with another transaction id")
                }
            }
            let existing = try stored(cp, u.transactionId, db, cache)
            var active: [Transaction] = []
            if existing == nil, u.kind == .started, u.evseId != nil || u.connectorId != nil {
                active = try Transaction.fetch(
                    db,
                    where: """
                        charge_point_id = ? AND state <> 'Ended' AND evse_id IS ? AND connector_id IS ?
                        ORDER BY sequence
                        """, [cp, u.evseId, u.connectorId])
            }
            let owner = existing == nil ? try ocpp16Owner(u.ocpp16Id, other: u.chargePointId, db) : nil
            let outcome = TransactionLedger.apply(u, existing: existing, activeOnConnector: active, foreignOwner: owner)
            try persist(outcome, previous: existing, db, cache)
            if let at = outcome.stationChangedAt {
                try db.cachedStatement(
                    sql: "UPDATE charge_points SET state_version = state_version + 1, updated_at = ? WHERE id = ?"
                ).execute(arguments: [at.unixMilliseconds, cp])
            }
            if outcome.recordsEvent {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO transaction_events (
                            charge_point_id, transaction_id, seq_no, event_type, trigger_reason, timestamp,
                            message_id, received_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [
                        cp, u.transactionId, u.seqNo, u.kind.rawValue, u.triggerReason, u.timestamp.unixMilliseconds,
                        u.messageId, u.receivedAt.unixMilliseconds,
                    ])
            }

        case .meterValues(let m):
            let existing = try m.transactionId.flatMap { try stored(m.chargePointId.rawValue, $0, db, cache) }
            let owner =
                existing == nil ? try ocpp16Owner(m.transactionId.flatMap { Int($0) }, other: m.chargePointId, db) : nil
            try persist(
                TransactionLedger.apply(m, transaction: existing, foreignOwner: owner), previous: existing, db, cache)
        }
    }

    /// The stored row of a transaction: the writer's cached copy, else the database's.
    private static func stored(_ cp: String, _ transactionId: String, _ db: Database, _ cache: TransactionRowCache?)
        throws -> Transaction?
    {
        if let cached = cache?.row(chargePointId: cp, transactionId: transactionId) { return cached }
        return try Transaction.fetch(db, where: "charge_point_id = ? AND transaction_id = ?", [cp, transactionId])
            .first
    }

    private static func ocpp16Owner(_ id: Int?, other: ChargePointID, _ db: Database) throws -> ChargePointID? {
        guard let id else { return nil }
        return try String.fetchOne(
            db.cachedStatement(
                sql: "SELECT charge_point_id FROM transactions WHERE ocpp16_id = ? AND charge_point_id <> ?"),
            arguments: [id, other.rawValue]
        ).flatMap { ChargePointID($0) }
    }

    /// Saves what the ledger decided; `previous` is the stored row of `outcome.transaction`.
    private static func persist(
        _ outcome: TransactionLedger.Outcome, previous: Transaction?, _ db: Database, _ cache: TransactionRowCache?
    ) throws {
        if let t = outcome.transaction { try save(t, previous: previous, db, cache) }
        for t in outcome.closed { try save(t, db, cache) }
        try db.insertRows(
            """
            INSERT INTO meter_values (
                charge_point_id, transaction_id, evse_id, connector_id, timestamp, value, measurand, phase,
                location, unit, multiplier, context, format, signed_data, received_at)
            """, columns: 15,
            outcome.samples.map { s in
                [
                    s.chargePointId.rawValue, s.transactionId, s.evseId, s.connectorId, s.timestamp.unixMilliseconds,
                    s.value, s.measurand, s.phase, s.location, s.unit, s.multiplier, s.context, s.format,
                    s.signedData, s.receivedAt.unixMilliseconds,
                ]
            }, tail: "ON CONFLICT DO NOTHING")
        for a in outcome.anomalies {
            try db.cachedStatement(
                sql: """
                    INSERT INTO transaction_anomalies (
                        charge_point_id, transaction_id, kind, detail, from_state, to_state, message_id, at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                a.chargePointId.rawValue, a.transactionId, a.kind, a.detail, a.fromState, a.toState, a.messageId,
                a.at.unixMilliseconds,
            ])
        }
    }

    /// Inserts a new transaction (`sequence` 0) or updates the stored one. When `previous` is
    /// the stored row, only the columns whose values differ are assigned (a MeterValues or an
    /// Updated event changes the energy, the times and the counters), and nothing is written
    /// when none does: fewer values to bind, and SQLite rewrites an index only when one of its
    /// columns is assigned (changed or not).
    /// The saved row goes into the writer's `cache` (with its new `sequence` after an insert).
    private static func save(
        _ t: Transaction, previous: Transaction? = nil, _ db: Database, _ cache: TransactionRowCache?
    ) throws {
        let values = TransactionSQL.values(t)
        let key: [DatabaseValue] = [t.chargePointId.rawValue.databaseValue, t.transactionId.databaseValue]
        if t.sequence == 0 {
            try db.cachedStatement(sql: TransactionSQL.insert).execute(arguments: StatementArguments(key + values))
            var inserted = t
            inserted.sequence = db.lastInsertedRowID
            cache?.saved(inserted)
            return
        }
        var changed = Array(values.indices)
        if let previous, previous.sequence == t.sequence {
            let before = TransactionSQL.values(previous)
            changed = values.indices.filter { values[$0] != before[$0] }
        }
        if !changed.isEmpty {
            try db.cachedStatement(sql: TransactionSQL.update(changed)).execute(
                arguments: StatementArguments(changed.map { values[$0] } + key))
        }
        cache?.saved(t)
    }
}

/// The statements that save a transaction row, each built once (an UPDATE once per set of
/// assigned columns); their text is also the key of the connection's statement cache.
private enum TransactionSQL {
    /// The saved columns after the key (`charge_point_id`, `transaction_id`), in order.
    static let columns = [
        "ocpp16_id", "evse_id", "connector_id", "id_token", "id_token_type", "authorization_status", "state",
        "started_at", "stopped_at", "meter_start", "meter_stop", "last_energy_wh", "last_energy_at", "stop_reason",
        "stop_id_token", "stop_id_token_type", "remote_start_id", "reservation_id", "offline",
        "number_of_phases_used", "cable_max_current", "last_trigger_reason", "min_seq_no", "max_seq_no",
        "event_count", "seq_no_gaps", "created_at", "updated_at",
    ]

    /// `t`'s values of `columns`, in order.
    static func values(_ t: Transaction) -> [DatabaseValue] {
        let values: [(any DatabaseValueConvertible)?] = [
            t.ocpp16Id, t.evseId, t.connectorId, t.idToken?.id, t.idToken?.type, t.authorizationStatus?.rawValue,
            t.state.rawValue, t.startedAt.unixMilliseconds, t.stoppedAt?.unixMilliseconds, t.meterStart, t.meterStop,
            t.lastEnergyWh, t.lastEnergyAt?.unixMilliseconds, t.stopReason, t.stopIdToken?.id, t.stopIdToken?.type,
            t.remoteStartId, t.reservationId, t.offline, t.numberOfPhasesUsed, t.cableMaxCurrent, t.lastTriggerReason,
            t.minSeqNo, t.maxSeqNo, t.eventCount, t.seqNoGaps, t.createdAt.unixMilliseconds,
            t.updatedAt.unixMilliseconds,
        ]
        return values.map { $0?.databaseValue ?? .null }
    }

    /// The columns `Transaction(row:)` reads, in the order of `select`.
    static let selected = ["sequence", "charge_point_id", "transaction_id"] + columns
    /// `SELECT` of every saved column, by name (never `*`, so that positions are fixed).
    static let select = "SELECT \(selected.joined(separator: ", ")) FROM transactions"
    /// The position of each column in `select`.
    static let position = Dictionary(uniqueKeysWithValues: selected.enumerated().map { ($1, $0) })

    static let insert = """
        INSERT INTO transactions (charge_point_id, transaction_id, \(columns.joined(separator: ", ")))
        VALUES (\(Array(repeating: "?", count: columns.count + 2).joined(separator: ", ")))
        """

    /// The UPDATE that assigns the columns at `indices` (ascending), built once per set of
    /// columns: a few sets recur (a sample, an Updated event, a stop).
    static func update(_ indices: [Int]) -> String {
        let mask = indices.reduce(UInt64(0)) { $0 | 1 << UInt64($1) }
        return updates.withLock { cache in
            if let sql = cache[mask] { return sql }
            let sql = """
                UPDATE transactions SET \(indices.map { "\(columns[$0]) = ?" }.joined(separator: ", "))
                WHERE charge_point_id = ? AND transaction_id = ?
                """
            cache[mask] = sql
            return sql
        }
    }
    private static let updates = Mutex<[UInt64: String]>([:])
}

extension Transaction {
    /// The transactions of `transactions` rows matching `condition` (SQL after WHERE).
    static func fetch(_ db: Database, where condition: String, _ arguments: StatementArguments) throws
        -> [Transaction]
    {
        try Row.fetchAll(db.cachedStatement(sql: "\(TransactionSQL.select) WHERE \(condition)"), arguments: arguments)
            .map(Transaction.init(row:))
    }

    /// A transaction from a row of `TransactionSQL.select`. Columns are read by position:
    /// GRDB's lookup by name compares lowercased names, which was half the cost of reading the
    /// row on the writer (docs/benchmarks.md).
    init(row: Row) throws {
        func at(_ column: String) -> Int { TransactionSQL.position[column]! }
        func value<T: DatabaseValueConvertible>(_ column: String, _: T.Type = T.self) throws -> T {
            try row.decode(T.self, atIndex: at(column))
        }
        guard let id = ChargePointID(try value("charge_point_id", String.self)),
            let state = TransactionState(rawValue: try value("state", String.self))
        else { throw StoreError(.internalError, "invalid transaction row in the database") }
        func date(_ column: String) throws -> Date? {
            try value(column, Int64?.self).map(Date.init(unixMilliseconds:))
        }
        func token(_ column: String) throws -> AuthorizationToken? {
            try value(column, String?.self).map {
                AuthorizationToken(id: $0, type: try value(column + "_type", String?.self))
            }
        }
        self.init(
            chargePointId: id, transactionId: try value("transaction_id"), ocpp16Id: try value("ocpp16_id"),
            state: state, startedAt: Date(unixMilliseconds: try value("started_at")),
            createdAt: Date(unixMilliseconds: try value("created_at")))
        evseId = try value("evse_id")
        connectorId = try value("connector_id")
        idToken = try token("id_token")
        authorizationStatus = try value("authorization_status", String?.self).map(AuthorizationStatus.init(rawValue:))
        stoppedAt = try date("stopped_at")
        meterStart = try value("meter_start")
        meterStop = try value("meter_stop")
        lastEnergyWh = try value("last_energy_wh")
        lastEnergyAt = try date("last_energy_at")
        stopReason = try value("stop_reason")
        stopIdToken = try token("stop_id_token")
        remoteStartId = try value("remote_start_id")
        reservationId = try value("reservation_id")
        offline = try value("offline")
        numberOfPhasesUsed = try value("number_of_phases_used")
        cableMaxCurrent = try value("cable_max_current")
        lastTriggerReason = try value("last_trigger_reason")
        minSeqNo = try value("min_seq_no")
        maxSeqNo = try value("max_seq_no")
        eventCount = try value("event_count")
        seqNoGaps = try value("seq_no_gaps")
        sequence = try value("sequence")
        updatedAt = Date(unixMilliseconds: try value("updated_at"))
    }
}
