import CSMSCore
import CSMSStorageSQLite
import Foundation
import GRDB
import Synchronization
import Testing

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
            ]
        }
        #expect(values == ["wal", "2", "1", "5000"])

        var configuration = SQLiteStoreConfiguration()
        configuration.synchronous = .normal
        configuration.busyTimeout = .milliseconds(250)
        let normal = try SQLiteStore(path: folder.path("normal.sqlite"), configuration: configuration)
        let normalValues = try await normal.onWriterConnection { db in
            [try String.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA busy_timeout")]
        }
        #expect(normalValues == ["1", "250"])
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
                "v11_remote_start", "v12_serial_bindings",
            ])

        // A database migrated by a newer CSMS (an unknown migration) is refused.
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999_from_the_future')")
        }
        try queue.close()
        #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
    }

    @Test func concurrentCommitsShareTransactions() async throws {
        let folder = try TemporaryDirectory()
        let reports = Mutex<[GroupCommitBatchReport]>([])
        var configuration = SQLiteStoreConfiguration()
        configuration.onBatch = { report in reports.withLock { $0.append(report) } }
        let store = try SQLiteStore(path: folder.path("csms.sqlite"), configuration: configuration)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<200 {
                group.addTask {
                    let id = cp(String(format: "CP-%03d", n))
                    try await store.commit([register(id), .recordSeen(id: id, at: t0)])
                }
            }
            try await group.waitForAll()
        }

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
