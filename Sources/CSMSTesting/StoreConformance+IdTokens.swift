public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A full registry entry, for the id token checks.
    static func idTokenRecord(_ token: String, at: Date = t0) -> IdTokenRecord {
        IdTokenRecord(
            idToken: token, type: "ISO14443", status: .accepted, expiryDate: t(3600), groupIdToken: "GROUP-1",
            chargePointIds: [cp("CP-A"), cp("CP-B")], evseIds: [1, 2], language: "de", personalMessage: "Hallo",
            external: false, createdAt: at, updatedAt: at)
    }

    /// An id token entry comes back as stored; a later upsert replaces every field (also to
    /// nil) but keeps `createdAt`; an empty charge point list stays empty (not "everywhere").
    public static func idTokenUpsertReplacesAndKeepsCreatedAt(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        #expect(try await store.idToken("TAG-1") == nil)
        let first = idTokenRecord("TAG-1", at: t(1))
        try await store.commit([.upsertIdToken(first)])
        #expect(try await store.idToken("TAG-1") == first)

        let second = IdTokenRecord(
            idToken: "TAG-1", status: .blocked, chargePointIds: [], external: true, createdAt: t(50), updatedAt: t(50))
        try await store.commit([.upsertIdToken(second)])
        var expected = second
        expected.createdAt = t(1)
        #expect(try await store.idToken("TAG-1") == expected)
        #expect(try await store.idToken("tag-1") == expected)  // tokens compare without regard to case

        // Another spelling replaces the entry and becomes its spelling.
        let respelled = IdTokenRecord(idToken: "Tag-1", status: .accepted, createdAt: t(60), updatedAt: t(60))
        try await store.commit([.upsertIdToken(respelled)])
        var expectedRespelled = respelled
        expectedRespelled.createdAt = t(1)
        #expect(try await store.idToken("TAG-1") == expectedRespelled)
        #expect(try await store.idTokens(after: nil, limit: 10) == [expectedRespelled])
    }

    /// Id tokens are deleted by token and listed in token order without regard to case, paged
    /// with `after`.
    public static func idTokensDeleteAndPage(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let tokens = ["B-2", "a-1", "C-3", "d-4"]
        try await store.commit(tokens.map { .upsertIdToken(IdTokenRecord(idToken: $0, createdAt: t0)) })
        #expect(try await store.idTokens(after: nil, limit: 2).map(\.idToken) == ["a-1", "B-2"])
        #expect(try await store.idTokens(after: "b-2", limit: 10).map(\.idToken) == ["C-3", "d-4"])
        #expect(try await store.idTokens(after: nil, limit: 0).isEmpty)
        try await store.commit([.deleteIdToken("c-3"), .deleteIdToken("NOT-THERE")])
        #expect(try await store.idToken("C-3") == nil)
        #expect(try await store.idTokens(after: nil, limit: 10).map(\.idToken) == ["a-1", "B-2", "d-4"])
    }

    /// A local list state replaces the station's previous one (entries included) and needs
    /// a registered station (else the commit fails with `.conflict` and leaves nothing).
    public static func localListReplacedAndNeedsStation(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-LIST")
        #expect(try await store.localList(of: id) == nil)
        let list = LocalListState(
            chargePointId: id, version: 1,
            entries: [
                LocalListEntry(idToken: "B", status: .blocked),
                LocalListEntry(
                    idToken: "A", type: "ISO14443", status: .accepted, expiryDate: t(60), groupIdToken: "G"),
            ], updatedAt: t(1))
        let failure = await storeError { () async throws(StoreError) in
            try await store.commit([.upsertIdToken(IdTokenRecord(idToken: "X", createdAt: t0)), .recordLocalList(list)])
        }
        #expect(failure?.code == .conflict)
        #expect(try await store.idToken("X") == nil)

        try await store.commit([register(id), .recordLocalList(list)])
        let stored = try #require(try await store.localList(of: id))
        #expect(stored == list)
        #expect(stored.entries.map(\.idToken) == ["A", "B"])

        let next = LocalListState(
            chargePointId: id, version: 2, entries: [LocalListEntry(idToken: "C", status: .accepted)], updatedAt: t(2))
        try await store.commit([.recordLocalList(next)])
        #expect(try await store.localList(of: id) == next)
        #expect(try await store.localList(of: cp("CP-OTHER")) == nil)
    }
}
