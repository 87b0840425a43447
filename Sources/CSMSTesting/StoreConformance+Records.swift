public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A stored answer is found by station and message id, and replaced by a later one with
    /// the same pair. It needs no registered charge point (a rejected boot is answered too).
    public static func storedResponseReplacedBySameId(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-RESP-A")
        let b = cp("CP-RESP-B")
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == nil)

        let first = response(a, "m1", digest: "d1", at: t(1))
        let otherStation = response(b, "m1", digest: "d9", at: t(1))
        try await store.commit([.storeResponse(first), .storeResponse(otherStation)])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == first)
        #expect(try await store.storedResponse(chargePointId: b, messageId: "m1") == otherStation)
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m2") == nil)

        let replacement = StoredResponse(
            chargePointId: a, messageId: "m1", requestDigest: "d2", response: Array("[4,\"m1\",\"x\",\"\",{}]".utf8),
            storedAt: t(2))
        try await store.commit([.storeResponse(replacement)])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == replacement)
        #expect(try await store.storedResponse(chargePointId: b, messageId: "m1") == otherStation)

        // Arbitrary bytes survive unchanged.
        let binary = StoredResponse(
            chargePointId: a, messageId: "bin", requestDigest: "", response: [0, 255, 10, 13, 0x22], storedAt: t(3))
        try await store.commit([.storeResponse(binary)])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "bin") == binary)
    }

    /// `storeResponseUnlessAnswered` fails the whole commit with `.alreadyAnswered` (nothing of
    /// it applied) when the message id has an answer with the same digest stored at or after
    /// `notBefore`; another digest or an older answer is replaced like `storeResponse`.
    public static func guardedStoredResponse(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-GUARD-A")
        try await store.commit([register(a)])
        let first = response(a, "m1", digest: "d1", at: t(10))
        try await store.commit([.storeResponseUnlessAnswered(first, notBefore: t(0))])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == first)

        // The retry: same digest, within the window. Its other writes are not applied either.
        let retry = response(a, "m1", digest: "d1", at: t(20))
        do {
            try await store.commit([
                .recordSeen(id: a, at: t(20)), .storeResponseUnlessAnswered(retry, notBefore: t(10)),
            ])
            Issue.record("a retry of an answered message committed")
        } catch {
            #expect(error.code == .alreadyAnswered)
        }
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == first)
        #expect(try await store.chargePoint(a)?.lastSeen == nil)

        // Other content under the same id, or an answer older than the window: stored as new.
        let other = response(a, "m1", digest: "d2", at: t(30))
        try await store.commit([.storeResponseUnlessAnswered(other, notBefore: t(10))])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == other)
        let late = response(a, "m1", digest: "d2", at: t(40))
        try await store.commit([.recordSeen(id: a, at: t(40)), .storeResponseUnlessAnswered(late, notBefore: t(31))])
        #expect(try await store.storedResponse(chargePointId: a, messageId: "m1") == late)
        #expect(try await store.chargePoint(a)?.lastSeen == t(40))
    }

    /// `pruneStoredResponses(olderThan:)` deletes answers stored strictly before the date and
    /// counts them.
    public static func pruneStoredResponsesByAge(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-PRUNE-A")
        let b = cp("CP-PRUNE-B")
        try await store.commit([
            .storeResponse(response(a, "old", at: t(0))), .storeResponse(response(b, "old", at: t(5))),
            .storeResponse(response(a, "edge", at: t(10))), .storeResponse(response(b, "new", at: t(20))),
        ])
        #expect(try await store.pruneStoredResponses(olderThan: t(10)) == 2)
        #expect(try await store.storedResponse(chargePointId: a, messageId: "old") == nil)
        #expect(try await store.storedResponse(chargePointId: b, messageId: "old") == nil)
        #expect(try await store.storedResponse(chargePointId: a, messageId: "edge") != nil)
        #expect(try await store.storedResponse(chargePointId: b, messageId: "new") != nil)
        #expect(try await store.pruneStoredResponses(olderThan: t(10)) == 0)
        #expect(try await store.pruneStoredResponses(olderThan: t(100)) == 2)
    }

    /// Dead letters get store-assigned, increasing ids (an id given by the caller is
    /// ignored) and come back unchanged otherwise.
    public static func deadLettersGetIncreasingIds(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let id = cp("CP-DLQ")
        var given = deadLetter(id, 1)
        given.id = 999
        try await store.commit([.addDeadLetter(given)])
        try await store.commit([.addDeadLetter(deadLetter(id, 2)), .addDeadLetter(deadLetter(id, 3))])

        let letters = try await store.deadLetters(chargePointId: nil, after: nil, limit: 10)
        #expect(letters.count == 3)
        let ids = letters.compactMap(\.id)
        #expect(ids.count == 3)
        #expect(ids == ids.sorted() && Set(ids).count == 3)
        #expect(letters.map(\.attempts) == [1, 2, 3])
        var expected = deadLetter(id, 2)
        expected.id = letters[1].id
        #expect(letters[1] == expected)
    }

    /// Dead letters filter by station and page by id.
    public static func deadLettersFilterAndPage(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-DLQ-A")
        let b = cp("CP-DLQ-B")
        // Unregistered stations may have dead letters (e.g. a frame that failed before boot).
        for n in 1...12 {
            try await store.commit([.addDeadLetter(deadLetter(n % 3 == 0 ? b : a, n))])
        }
        let all = try await store.deadLetters(chargePointId: nil, after: nil, limit: 100)
        #expect(all.map(\.attempts) == Array(1...12))

        let onlyB = try await store.deadLetters(chargePointId: b, after: nil, limit: 100)
        #expect(onlyB.map(\.attempts) == [3, 6, 9, 12])
        #expect(onlyB.allSatisfy { $0.chargePointId == b })

        var pages: [[Int]] = []
        var after: Int64?
        while true {
            let page = try await store.deadLetters(chargePointId: a, after: after, limit: 3)
            if page.isEmpty { break }
            pages.append(page.map(\.attempts))
            after = page.last?.id
        }
        #expect(pages == [[1, 2, 4], [5, 7, 8], [10, 11]])

        let afterSixth = try await store.deadLetters(chargePointId: nil, after: all[5].id, limit: 2)
        #expect(afterSixth.map(\.attempts) == [7, 8])
    }
}

extension StoreConformance {
    /// `deadLetter(id:)` finds one letter; `recordDeadLetterAttempt` counts an attempt and
    /// replaces the error; `deleteDeadLetter` removes it; both leave a missing id alone.
    public static func deadLetterAttemptsAndDelete(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let station = cp("CP-DLQ-OPS")
        try await store.commit([.addDeadLetter(deadLetter(station, 1)), .addDeadLetter(deadLetter(station, 2))])
        let letters = try await store.deadLetters(chargePointId: station, after: nil, limit: 10)
        let first = try #require(letters.first?.id)
        let second = try #require(letters.last?.id)
        #expect(try await store.deadLetter(id: first) == letters.first)
        #expect(try await store.deadLetter(id: second + 1000) == nil)

        try await store.commit([.recordDeadLetterAttempt(id: first, error: "again")])
        let retried = try #require(try await store.deadLetter(id: first))
        #expect(retried.attempts == (letters.first?.attempts ?? 0) + 1)
        #expect(retried.error == "again")
        #expect(retried.rawFrame == letters.first?.rawFrame)

        try await store.commit([
            .deleteDeadLetter(id: first), .deleteDeadLetter(id: second + 1000),
            .recordDeadLetterAttempt(id: second + 1000, error: "x"),
        ])
        #expect(try await store.deadLetter(id: first) == nil)
        #expect(try await store.deadLetters(chargePointId: station, after: nil, limit: 10).map(\.id) == [second])
    }
}
