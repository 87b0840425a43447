import CSMSCore
import CSMSTesting
import Testing

/// The store conformance suite on the in-memory store.
@Suite struct InMemoryStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await check.run { InMemoryStore() }
    }
}
