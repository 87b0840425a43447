import CSMSCore
import CSMSStorageSQLite
import CSMSTesting
import Foundation
import Testing

/// The store conformance suite on the SQLite store: a WAL file database (synchronous=FULL,
/// as in production) and the in-memory variant.
@Suite struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func fileDatabase(_ check: StoreConformance.Check) async throws {
        let folder = try TemporaryDirectory()
        try await check.run { try SQLiteStore(path: folder.path("\(UUID().uuidString)/csms.sqlite")) }
    }

    @Test(arguments: StoreConformance.checks)
    func inMemoryDatabase(_ check: StoreConformance.Check) async throws {
        try await check.run { try SQLiteStore.inMemory() }
    }
}
