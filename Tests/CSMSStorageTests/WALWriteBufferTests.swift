import CSMSCore
import Foundation
import GRDB
import Testing

@testable import CSMSStorageSQLite

/// The WAL write buffer (`WALWriteBuffer`, the C shim `CSQLiteWALBuffer`) on real files:
/// fewer writes reach the file system, and nothing a commit wrote is lost or seen early.
@Suite struct WALWriteBufferTests {
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    func cp(_ n: Int) -> ChargePointID { ChargePointID("CP-WAL-\(n)")! }

    /// A commit like a StatusNotification's: history, current status, station row, answer.
    func statusWrites(_ id: ChargePointID, _ n: Int) -> [StoreWrite] {
        let at = t0.addingTimeInterval(Double(n))
        return [
            .upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .accepted, at: at)),
            .recordConnectorStatus(
                ConnectorStatus(
                    chargePointId: id, evseId: nil, connectorId: 1, status: "Charging", timestamp: at, receivedAt: at)),
            .storeResponse(
                StoredResponse(
                    chargePointId: id, messageId: "m\(n)", requestDigest: String(repeating: "d", count: 64),
                    response: Array("[3,\"m\(n)\",{}]".utf8), storedAt: at)),
        ]
    }

    func statistics(_ store: SQLiteStore) async throws -> WALWriteBuffer.Statistics? {
        try await store.onWriterConnection { WALWriteBuffer.statistics(of: $0) }
    }

    @Test func aCommitsWALWritesReachTheFileAsOneAndReadersSeeEveryCommit() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        let store = try SQLiteStore(path: path)
        let commits = 60
        // The migrations ran their own transactions.
        let before = try #require(try await statistics(store))
        for n in 0..<commits {
            try await store.commit(statusWrites(cp(n), n))
            // Read on a reader connection right after the commit returned.
            #expect(try await store.storedResponse(chargePointId: cp(n), messageId: "m\(n)") != nil)
        }
        let after = try #require(try await statistics(store))
        // Each commit writes several pages, each page two writes (frame header, page).
        #expect(after.writes - before.writes >= 4 * commits)
        // One write per commit at its sync, a few more for WAL headers: far fewer than the pages.
        #expect(after.fileWrites - before.fileWrites <= commits + 5)
        #expect(after.unsyncedPublications == 0)
        try await store.close()

        let reopened = try SQLiteStore(path: path)
        for n in 0..<commits {
            #expect(
                try await reopened.connectorStatuses(of: cp(n)).first?.timestamp == t0.addingTimeInterval(Double(n)))
        }
        try await reopened.close()
    }

    @Test func aTransactionLargerThanTheBufferIsWrittenInRunsAndStaysIntact() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("csms.sqlite")
        var configuration = SQLiteStoreConfiguration()
        configuration.walWriteBufferBytes = 16 << 10
        let store = try SQLiteStore(path: path, configuration: configuration)
        let id = cp(1)
        try await store.commit(statusWrites(id, 1))
        let before = try #require(try await statistics(store))
        // About 100 pages of WAL in one transaction: several buffer-fulls.
        let frame = String(repeating: "x", count: 400_000)
        try await store.commit([
            .addDeadLetter(
                DeadLetter(
                    chargePointId: id, protocolVersion: "ocpp1.6", rawFrame: frame, reason: "r", error: "e",
                    receivedAt: t0))
        ])
        let after = try #require(try await statistics(store))
        #expect(after.fileWrites - before.fileWrites >= 10)
        #expect(after.fileWrites - before.fileWrites < (after.writes - before.writes) / 4)
        try await store.close()

        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.deadLetters(chargePointId: id, after: nil, limit: 10).first?.rawFrame == frame)
        let check = try await reopened.onWriterConnection { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
        try await reopened.close()
    }

    @Test func turnedOffEveryWALWriteGoesThrough() async throws {
        #expect(WALWriteBuffer.isInstalled)
        let folder = try TemporaryDirectory()
        var configuration = SQLiteStoreConfiguration()
        configuration.walWriteBufferBytes = 0
        let store = try SQLiteStore(path: folder.path("csms.sqlite"), configuration: configuration)
        for n in 0..<10 { try await store.commit(statusWrites(cp(n), n)) }
        let stats = try #require(try await statistics(store))
        #expect(stats.writes > 0)
        #expect(stats.fileWrites == stats.writes)
        try await store.close()
    }

    /// A connection that does not sync at commit (synchronous=NORMAL) publishes its commit
    /// without a sync before: the shim writes the buffer at the wal-index barrier, so another
    /// connection never finds a frame that is not in the file.
    @Test func aCommitWithoutSyncIsWrittenBeforeOthersCanSeeIt() async throws {
        #expect(WALWriteBuffer.isInstalled)
        let folder = try TemporaryDirectory()
        let path = folder.path("normal.sqlite")
        let writer = try DatabasePool(path: path)
        try await writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            #expect(WALWriteBuffer.setCapacity(1 << 20, on: db))
        }
        // Another pool: its own connections and file descriptors, as another process would have.
        let other = try DatabasePool(path: path)
        for n in 1...40 {
            try await writer.write { db in
                try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [String(repeating: "v", count: 3000)])
            }
            #expect(try await other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == n)
        }
        let stats = try #require(try await writer.writeWithoutTransaction { WALWriteBuffer.statistics(of: $0) })
        #expect(stats.unsyncedPublications >= 40)
        try writer.close()
        try other.close()
    }
}
