import CSMSCore
import Foundation
import GRDB
import Synchronization
import Testing

@testable import CSMSStorageSQLite

/// SQLite-specific behaviour: files, pragmas, group commit, failures.
@Suite struct SQLiteStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    func cp(_ text: String) -> ChargePointID { ChargePointID(text)! }

    func register(_ id: ChargePointID) -> StoreWrite {
        .upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .accepted, at: t0))
    }

    func storeError(_ body: () async throws(StoreError) -> Void) async -> StoreError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func dataSurvivesClosingAndReopening() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("nested/folder/csms.sqlite")
        let id = cp("CP-PERSIST")
        let status = ConnectorStatus(
            chargePointId: id, evseId: 1, connectorId: 1, status: "Occupied", timestamp: t0, receivedAt: t0)
        let response = StoredResponse(
            chargePointId: id, messageId: "m1", requestDigest: "abc", response: Array("[3,\"m1\",{}]".utf8),
            storedAt: t0)

        let first = try SQLiteStore(path: path)
        try await first.commit([
            register(id), .recordConnectorStatus(status), .storeResponse(response),
            .addDeadLetter(
                DeadLetter(
                    chargePointId: id, protocolVersion: "ocpp2.0.1", rawFrame: "[", reason: "bad_frame", error: "e",
                    receivedAt: t0)),
        ])
        let before = try #require(try await first.chargePoint(id))
        try await first.close()
        #expect(
            await storeError { () async throws(StoreError) in try await first.commit([register(cp("X"))]) }?.code
                == .unavailable)
        #expect(
            await storeError { () async throws(StoreError) in _ = try await first.chargePoint(id) }?.code
                == .unavailable)

        let second = try SQLiteStore(path: path)
        #expect(try await second.chargePoint(id) == before)
        #expect(try await second.connectorStatuses(of: id) == [status])
        #expect(try await second.storedResponse(chargePointId: id, messageId: "m1") == response)
        #expect(try await second.deadLetters(chargePointId: id, after: nil, limit: 10).count == 1)
        try await second.commit([.recordSeen(id: id, at: t0)])
        #expect(try await second.chargePoint(id)?.stateVersion == before.stateVersion + 1)
        try await second.close()
    }

    @Test func pragmasAreSet() async throws {
        let folder = try TemporaryDirectory()
        let full = try SQLiteStore(path: folder.path("full.sqlite"))
        let values = try await full.onWriterConnection { db in
            [
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try String.fetchOne(db, sql: "PRAGMA synchronous"),
                try String.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try String.fetchOne(db, sql: "PRAGMA busy_timeout"),
                try String.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"),
            ]
        }
        // SQLite's automatic checkpoint is off on the writer: `WALCheckpointer` replaced it.
        #expect(values == ["wal", "2", "1", "5000", "0"])
        let logPragmas = try await full.onMessageLogWriterConnection { db in
            [try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"), try Int.fetchOne(db, sql: "PRAGMA temp_store")]
        }
        // The log's flushes keep their statement journals in memory (2), the main database
        // the default (0: a file once a journal outgrows 64 KiB).
        #expect(logPragmas == [40_000, 2])
        #expect(try await full.onWriterConnection { try Int.fetchOne($0, sql: "PRAGMA temp_store") } == 0)

        var configuration = SQLiteStoreConfiguration()
        configuration.synchronous = .normal
        configuration.busyTimeout = .milliseconds(250)
        configuration.walAutocheckpointPages = 1_000
        let normal = try SQLiteStore(path: folder.path("normal.sqlite"), configuration: configuration)
        let normalValues = try await normal.onWriterConnection { db in
            [
                try String.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA busy_timeout"),
            ]
        }
        #expect(normalValues == ["1", "250"])
        let normalLogCheckpoint = try await normal.onMessageLogWriterConnection { db in
            try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
        }
        #expect(normalLogCheckpoint == 1_000)
    }

    /// A WAL limit of 64 pages (quick rounds of checkpoints), `synchronous=NORMAL` (quick commits).
    var smallWAL: SQLiteStoreConfiguration {
        var configuration = SQLiteStoreConfiguration()
        configuration.synchronous = .normal
        configuration.walAutocheckpointPages = 64
        return configuration
    }

    /// `WALCheckpointer`: once the WAL reaches the configured size, passes on the
    /// checkpointer's own connection copy it into the database file, the writer copies the
    /// short tail left, and the WAL starts over from its beginning, so that its file stays
    /// near the configured size instead of growing with every commit. Nothing is lost.
    @Test func walIsCheckpointedOffTheWriterAndStartsOver() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        var configuration = smallWAL
        // Each report with the nice value of the thread it was made on.
        let reports = Mutex<[(report: WALCheckpointReport, nice: Int32)]>([])
        configuration.onCheckpoint = { report in
            let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            reports.withLock { $0.append((report, nice)) }
        }
        let store = try SQLiteStore(path: path, configuration: configuration)
        let ids = (0..<50).map { cp("CP-WAL-\($0)") }
        try await store.commit(ids.map(register))
        // At least 3,000 commits, and on until the writer copied a tail: whether a pass leaves
        // a short enough tail depends on the threads' timing (0 to 14 tails in 3,000 commits).
        // When every pass copies the whole WAL before the next commit, the writer starts it over
        // without a tail at all; that happened in a whole run of 30,000 commits once, so the
        // tail is not required (`CheckpointPlanTests` decide when tails are taken), only the
        // bounded WAL below.
        var commits = 0
        while commits < 3_000 || (store.checkpointer?.statistics.tailCopies == 0 && commits < 30_000) {
            let at = t0.addingTimeInterval(Double(commits))
            try await store.commit([.recordSeen(id: ids[commits % ids.count], at: at)])
            commits += 1
        }
        let statistics = try #require(store.checkpointer?.statistics)
        #expect(statistics.backgroundPasses >= 2)
        #expect(statistics.tailCopies <= statistics.backgroundPasses)
        #expect(statistics.failures == 0)
        let reported = reports.withLock { $0 }
        let tails = reported.filter { $0.report.kind == .tail }
        let passes = reported.filter { $0.report.kind == .background }
        #expect(tails.count == statistics.tailCopies)
        #expect(passes.count <= statistics.backgroundPasses)
        #expect(
            reported.allSatisfy {
                $0.report.failureCode == nil && $0.report.walFrames >= 64 && ($0.report.copiedFrames ?? 0) > 0
            })
        // Passes yield the CPU to the threads that answer stations; the writer keeps its priority.
        #expect(passes.allSatisfy { $0.nice == WALCheckpointer.backgroundNice })
        let writerNice = try await store.onWriterConnection { _ in
            getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        }
        #expect(writerNice != WALCheckpointer.backgroundNice)
        #expect(tails.allSatisfy { $0.nice == writerNice })
        // Each commit appends at least one frame: without a restart the WAL would hold
        // 3,000 or more. A restart reuses the file from its start; the WAL still grows past
        // the limit by what the writer commits while a background pass runs (hundreds of
        // frames when the machine is busy).
        let frameBytes = 4_096 + 24
        let walBytes = try #require(
            try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        #expect(walBytes < 1_500 * frameBytes)
        let last = commits - 1
        #expect(try await store.chargePoint(ids[last % ids.count])?.lastSeen == t0.addingTimeInterval(Double(last)))
        try await store.close()
        let reopened = try SQLiteStore(path: path)
        let earlier = commits - ids.count
        #expect(
            try await reopened.chargePoint(ids[earlier % ids.count])?.lastSeen == t0.addingTimeInterval(Double(earlier))
        )
        try await reopened.close()
    }

    /// A reader that keeps an old snapshot pins the WAL's frames after it: the WAL cannot start
    /// over and grows past the limit, with nothing lost; once the reader ends, the next
    /// checkpoints restart it and the file stops growing. A checkpoint that cannot open the
    /// database fails, is counted and reported, and commits go on.
    @Test func walRestartWaitsForOldReadersAndFailuresAreReported() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        var configuration = smallWAL
        let failures = Mutex<[Int32]>([])
        configuration.onCheckpoint = { report in
            if let code = report.failureCode { failures.withLock { $0.append(code) } }
        }
        let store = try SQLiteStore(path: path, configuration: configuration)
        let id = cp("CP-WAL-READER")
        try await store.commit([register(id)])
        func walBytes() throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        }
        func seen(_ range: Range<Int>) async throws {
            for i in range { try await store.commit([.recordSeen(id: id, at: t0.addingTimeInterval(Double(i)))]) }
        }

        // A read transaction on a connection of its own holds its snapshot until it ends.
        var readerConfiguration = Configuration()
        readerConfiguration.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: path, configuration: readerConfiguration)
        try await reader.writeWithoutTransaction { db in
            try db.beginTransaction(.deferred)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM charge_points") == 1)
        }
        try await seen(0..<1_000)
        let pinned = try walBytes()
        #expect(pinned >= 1_000 * (4_096 + 24))
        #expect(try await store.chargePoint(id)?.lastSeen == t0.addingTimeInterval(999))
        try await reader.writeWithoutTransaction { db in try db.commit() }
        try reader.close()

        // Without a restart the file would grow by at least 1,000 frames more.
        try await seen(1_000..<2_000)
        #expect(try walBytes() < pinned + 500 * (4_096 + 24))
        #expect(try await store.chargePoint(id)?.lastSeen == t0.addingTimeInterval(1_999))
        // A pass may find the database busy (the WAL starting over while it opens); it is
        // counted and the next one runs. Nothing else may fail.
        let busy = ResultCode.SQLITE_BUSY.rawValue
        #expect(failures.withLock { $0 }.allSatisfy { $0 == busy })

        // The checkpointer opens the file by its path for each pass: without it, passes fail.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        try await seen(2_000..<3_000)
        let statistics = try #require(store.checkpointer?.statistics)
        #expect(statistics.failures > 0)
        #expect(statistics.lastFailure == ResultCode.SQLITE_CANTOPEN.rawValue)
        // Not after every commit: a failed pass waits for the WAL to grow by 1/16 of the limit.
        #expect(statistics.failures < 500)
        #expect(failures.withLock { $0 }.allSatisfy { $0 == ResultCode.SQLITE_CANTOPEN.rawValue || $0 == busy })
        #expect(try await store.chargePoint(id)?.lastSeen == t0.addingTimeInterval(2_999))
        try await store.close()
    }

    /// `v13_meter_values_one_index`: a v12 database (two indexes on the samples) keeps its samples, gets
    /// the one key index, still stores an identical sample once, and reads a transaction's
    /// samples through the index (no table scan, no sort of the whole result).
    @Test func meterValuesMoveToOneIndex() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        let id = cp("CP-V13")
        func sample(_ seconds: Double, _ value: String, measurand: String? = "Energy.Active.Import.Register")
            -> MeterSample
        {
            MeterSample(
                chargePointId: id, transactionId: "7", connectorId: 1,
                timestamp: t0.addingTimeInterval(seconds), value: value, measurand: measurand, unit: "Wh",
                receivedAt: t0)
        }
        func meterValues(_ samples: [MeterSample], _ messageId: String) -> StoreWrite {
            .transaction(
                .meterValues(
                    MeterValuesUpdate(
                        chargePointId: id, transactionId: "7", samples: samples, messageId: messageId, receivedAt: t0)))
        }
        // A database of the previous version: the real migrations up to v12, and samples in it.
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(queue, upTo: "v12_serial_bindings")
        try await queue.write { db in
            for (seconds, value, measurand) in [(20, "300", "E"), (10, "100", "E"), (10, "5", nil)]
                as [(Int, String, String?)]
            {
                try db.execute(
                    sql: """
                        INSERT INTO meter_values (charge_point_id, transaction_id, connector_id, timestamp, value,
                            measurand, unit, received_at)
                        VALUES ('CP-V13', '7', 1, ?, ?, ?, 'Wh', 0)
                        """,
                    arguments: [
                        t0.addingTimeInterval(Double(seconds)).unixMilliseconds, value,
                        measurand.map { _ in "Energy.Active.Import.Register" },
                    ])
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        try await store.commit([meterValues([sample(10, "100"), sample(30, "400")], "b")])
        let values = try await store.meterSamples(chargePointId: id, transactionId: "7", limit: 10).map(\.value)
        #expect(values == ["100", "5", "300", "400"] || values == ["5", "100", "300", "400"])
        #expect(try await store.meterSamples(chargePointId: id, transactionId: nil, limit: 10).isEmpty)
        try await store.close()

        let check = try DatabaseQueue(path: path)
        let (indexes, plan) = try await check.read { db in
            let indexes = try String.fetchAll(
                db,
                sql:
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meter_values' AND sql IS NOT NULL"
            )
            let plan = try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT * FROM meter_values
                    WHERE charge_point_id = 'CP-V13' AND coalesce(transaction_id, '') = '7' AND transaction_id IS '7'
                    ORDER BY timestamp, id LIMIT 10
                    """
            ).map { $0["detail"] as String }
            return (indexes, plan)
        }
        try check.close()
        #expect(indexes == ["meter_values_key"])
        #expect(plan.contains { $0.contains("USING INDEX meter_values_key") })
        #expect(!plan.contains { $0.hasPrefix("SCAN meter_values") })
    }

    @Test func migrationsAreNamedAndRecorded() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        _ = try SQLiteStore(path: path)
        let queue = try DatabaseQueue(path: path)
        let names = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
        #expect(
            names == [
                "v1_charge_points", "v2_connector_status", "v3_stored_responses", "v4_dead_letters", "v5_transactions",
                "v5_meter_values", "v5_transaction_anomalies", "v6_id_tokens", "v6_local_lists", "v7_commands",
                "v7_station_reports", "v7_configuration_values", "v8_security", "v9_message_log", "v10_availability",
                "v11_remote_start", "v12_serial_bindings", "v13_meter_values_one_index",
                "v14_message_log_moved_out",
            ])

        // A database migrated by a newer CSMS (an unknown migration) is refused.
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999_from_the_future')")
        }
        try queue.close()
        #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
    }

    /// The message log lives in `csms-messages.sqlite`: a database of the previous version
    /// keeps its entries (ids and the id sequence too), its own table is dropped. With the WAL
    /// write buffer (the default) both run at synchronous=FULL and buffer their WAL writes.
    @Test func messageLogMovesIntoItsOwnDatabase() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        let logPath = folder.path("csms-messages.sqlite")
        let id = cp("CP-V14")
        // A database of the previous version: the real migrations up to v13, entries 1 and 2
        // left of three (the newest, id 3, was pruned, so the sequence is above the ids).
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(queue, upTo: "v13_meter_values_one_index")
        try await queue.write { db in
            for n in 1...3 {
                try db.execute(
                    sql: """
                        INSERT INTO message_log (charge_point_id, at, direction, message_type, action, message_id,
                            size, error_code)
                        VALUES ('CP-V14', ?, 'in', 2, 'Heartbeat', ?, 10, ?)
                        """, arguments: [t0.unixMilliseconds + Int64(n), "old\(n)", n == 2 ? "InternalError" : nil])
            }
            try db.execute(sql: "DELETE FROM message_log WHERE id = 3")
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        #expect(store.messageLogPath == logPath)
        try await store.appendMessageLog([
            MessageLogEntry(
                chargePointId: id, at: t0, direction: .outbound, messageType: 3, action: "Heartbeat",
                messageId: "new", size: 12)
        ])
        let entries = try await store.messageLog(chargePointId: id, action: nil, after: nil, limit: 10)
        #expect(entries.map(\.messageId) == ["old1", "old2", "new"])
        #expect(entries.map(\.id) == [1, 2, 4], "old ids kept; the new one after the old sequence")
        #expect(entries[1].errorCode == "InternalError")
        #expect(try await store.onWriterConnection { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2, "FULL")
        #expect(
            try await store.onMessageLogWriterConnection { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2,
            "FULL")
        let logBuffer = try #require(
            try await store.onMessageLogWriterConnection { WALWriteBuffer.statistics(of: $0) })
        #expect(logBuffer.writes > logBuffer.fileWrites)
        #expect(logBuffer.unsyncedPublications == 0)
        try await store.close()

        let main = try DatabaseQueue(path: path)
        #expect(try await main.read { try $0.tableExists("message_log") } == false)
        try main.close()
        let log = try DatabaseQueue(path: logPath)
        #expect(try await log.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM message_log") } == 3)
        #expect(
            try await log.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
                == ["m1_message_log", "m2_message_log_without_age_index"])
        #expect(
            try await log.read {
                try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            } == ["message_log_by_station"])
        try log.close()

        // Opened again: nothing copied twice, the sequence goes on.
        let again = try SQLiteStore(path: path)
        try await again.appendMessageLog([
            MessageLogEntry(
                chargePointId: id, at: t0, direction: .inbound, messageType: 2, action: "Heartbeat",
                messageId: "newer", size: 12)
        ])
        #expect(
            try await again.messageLog(chargePointId: id, action: nil, after: nil, limit: 10).map(\.id) == [1, 2, 4, 5])
        try await again.close()

        // Without the buffer the log keeps GRDB's synchronous=NORMAL (it is diagnostic).
        var unbuffered = SQLiteStoreConfiguration()
        unbuffered.walWriteBufferBytes = 0
        let plain = try SQLiteStore(path: path, configuration: unbuffered)
        #expect(
            try await plain.onMessageLogWriterConnection { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1,
            "NORMAL")
        try await plain.close()
    }

    @Test func concurrentCommitsShareTransactions() async throws {
        let folder = try TemporaryDirectory()
        let reports = Mutex<[GroupCommitBatchReport]>([])
        var configuration = SQLiteStoreConfiguration()
        configuration.onBatch = { report in reports.withLock { $0.append(report) } }
        let store = try SQLiteStore(path: folder.path("csms.sqlite"), configuration: configuration)

        try await registerConcurrently(200, on: store)

        let statistics = store.groupCommitStatistics
        let seen = reports.withLock { $0 }
        #expect(statistics.requests == 200)
        #expect(statistics.failedRequests == 0)
        #expect(statistics.transactions < 200)
        #expect(statistics.largestBatch > 1)
        #expect(seen.count == statistics.transactions)
        #expect(seen.map(\.requests).reduce(0, +) == 200)
        #expect(seen.allSatisfy { $0.committed })
        #expect(try await store.chargePoints(after: nil, limit: 1000).count == 200)
    }

    /// Registers `count` stations (`CP-000`…), each commit from a task of its own, started
    /// `every` apart (all at once when nil).
    func registerConcurrently(_ count: Int, on store: SQLiteStore, every spacing: Duration? = nil) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                group.addTask {
                    let id = cp(String(format: "CP-%03d", n))
                    try await store.commit([register(id), .recordSeen(id: id, at: t0)])
                }
                if let spacing { try await Task.sleep(for: spacing) }
            }
            try await group.waitForAll()
        }
    }

    @Test func requestsArrivingOftenAreGatheredAndACloseRunsTheGathered() async throws {
        let folder = try TemporaryDirectory()
        let reports = Mutex<[GroupCommitBatchReport]>([])
        var configuration = SQLiteStoreConfiguration()
        // Deadline-bound: the target is never reached.
        configuration.commitGathering = GroupCommitGathering(delay: .milliseconds(40), target: 1000)
        configuration.onBatch = { report in reports.withLock { $0.append(report) } }
        let store = try SQLiteStore(path: folder.path("csms.sqlite"), configuration: configuration)

        // One request every 2 ms, each from its own task (an open-loop fleet): without
        // gathering nearly every one would commit alone.
        try await registerConcurrently(120, on: store, every: .milliseconds(2))
        let seen = reports.withLock { $0 }
        #expect(seen.map(\.requests).reduce(0, +) == 120)
        #expect(seen.allSatisfy { $0.committed })
        #expect(seen.count <= 40, "batches: \(seen.map(\.requests))")
        #expect(try await store.chargePoints(after: nil, limit: 1000).count == 120)

        // Gathering now (requests came often): a close does not wait for its deadline, the
        // gathered request commits and is there after a reopen.
        let path = folder.path("csms.sqlite")
        var slow = SQLiteStoreConfiguration()
        slow.commitGathering = GroupCommitGathering(delay: .seconds(30), target: 1000)
        let second = try SQLiteStore(path: path, configuration: slow)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<12 {
                group.addTask { try await second.commit([.recordSeen(id: cp(String(format: "CP-%03d", n)), at: t0)]) }
            }
            // The first runs at once (requests were rare before it); the rest gather.
            try await Task.sleep(for: .milliseconds(200))
            let late = cp("CP-LATE")
            group.addTask { try await second.commit([register(late)]) }
            try await Task.sleep(for: .milliseconds(50))
            let started = ContinuousClock.now
            try await second.close()
            #expect(started.duration(to: .now) < .seconds(10))
            try await group.waitForAll()
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.chargePoint(cp("CP-LATE")) != nil)
        try await reopened.close()
        try await store.close()
    }

    @Test func badRequestFailsAloneInsideItsBatch() async throws {
        let folder = try TemporaryDirectory()
        let reports = Mutex<[GroupCommitBatchReport]>([])
        var configuration = SQLiteStoreConfiguration()
        configuration.onBatch = { report in reports.withLock { $0.append(report) } }
        let store = try SQLiteStore(path: folder.path("csms.sqlite"), configuration: configuration)

        // Hold the writer queue so that every request below queues up for one transaction.
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        async let blocker: Void = store.onWriterConnection { _ in
            startedContinuation.yield()
            Thread.sleep(forTimeInterval: 0.3)
        }
        for await _ in started { break }

        let failures = try await withThrowingTaskGroup(of: StoreError?.self) { group in
            for n in 0..<20 {
                group.addTask {
                    let id = cp(String(format: "CP-%03d", n))
                    return await storeError { () async throws(StoreError) in
                        try await store.commit([
                            n % 5 == 0 ? .recordSeen(id: id, at: t0) : register(id),
                            .recordConnectorStatus(
                                ConnectorStatus(
                                    chargePointId: id, connectorId: 1, status: "Available", timestamp: t0,
                                    receivedAt: t0)),
                        ])
                    }
                }
            }
            return try await group.reduce(into: [StoreError]()) { if let error = $1 { $0.append(error) } }
        }
        try await blocker

        #expect(failures.count == 4)
        #expect(failures.allSatisfy { $0.code == .conflict })
        #expect(try await store.chargePoints(after: nil, limit: 100).count == 16)
        let seen = reports.withLock { $0 }
        #expect(seen.map(\.requests).reduce(0, +) == 20)
        #expect(seen.map(\.failedRequests).reduce(0, +) == 4)
        #expect(seen.contains { $0.requests > 1 && $0.failedRequests > 0 && $0.committed })
    }

    @Test func lockedDatabaseIsUnavailableAndLosesNothing() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        var configuration = SQLiteStoreConfiguration()
        configuration.busyTimeout = .milliseconds(100)
        let store = try SQLiteStore(path: path, configuration: configuration)
        let kept = cp("CP-KEPT")
        try await store.commit([register(kept)])

        // Another connection (as another process would) takes the write lock and keeps it.
        var blockerConfiguration = Configuration()
        blockerConfiguration.allowsUnsafeTransactions = true
        let blocker = try DatabaseQueue(path: path, configuration: blockerConfiguration)
        try await blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }

        let error = await storeError { () async throws(StoreError) in try await store.commit([register(cp("CP-LOST"))])
        }
        #expect(error?.code == .unavailable)
        #expect(try await store.chargePoint(kept) != nil)
        #expect(try await store.chargePoint(cp("CP-LOST")) == nil)

        try await blocker.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try await store.commit([register(cp("CP-AFTER"))])
        #expect(try await store.chargePoints(after: nil, limit: 10).map(\.id) == [cp("CP-AFTER"), kept])
    }

    @Test func fullDiskIsUnavailableAndLosesNothing() async throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteStore(path: folder.path("csms.sqlite"))
        let kept = cp("CP-KEPT")
        try await store.commit([register(kept)])

        // Fault hook: cap the database at its current size, as a full disk would.
        try await store.onWriterConnection { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let big = DeadLetter(
            chargePointId: kept, protocolVersion: "ocpp1.6", rawFrame: String(repeating: "x", count: 200_000),
            reason: "r", error: "e", receivedAt: t0)
        let error = await storeError { () async throws(StoreError) in
            try await store.commit([.recordSeen(id: kept, at: t0), .addDeadLetter(big)])
        }
        #expect(error?.code == .unavailable)
        #expect(try await store.chargePoint(kept)?.lastSeen == nil)
        #expect(try await store.chargePoint(kept)?.stateVersion == 1)

        try await store.onWriterConnection { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try await store.commit([.addDeadLetter(big)])
        #expect(try await store.deadLetters(chargePointId: kept, after: nil, limit: 10).count == 1)
    }

    @Test func folderThatCannotBeCreatedIsUnavailable() throws {
        let folder = try TemporaryDirectory()
        let file = folder.path("a-file")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: StoreError.self) { try SQLiteStore(path: file + "/csms.sqlite") }
        #expect(error?.code == .unavailable)
    }
}
