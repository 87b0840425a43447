import CSMSCore
import CSMSProcessor
import CSMSTesting
import Foundation
import OCPP
import Testing

@Suite("Local authorization list")
struct LocalListTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let cp = ChargePointID("CP-L")!

    func record(
        _ id: String, _ status: AuthorizationStatus = .accepted, at: [ChargePointID]? = nil, external: Bool = false
    )
        -> IdTokenRecord
    {
        IdTokenRecord(
            idToken: id, type: "ISO14443", status: status, chargePointIds: at, external: external, createdAt: now)
    }

    @Test func listHoldsTokensUsableHereExceptExternalOnes() {
        let registry = [
            record("C"), record("A", .blocked), record("EXT", external: true),
            record("ELSEWHERE", at: [ChargePointID("X")!]),
            record("HERE", at: [cp]), record(String(repeating: "L", count: 21)),
        ]
        #expect(
            LocalAuthorizationList.entries(for: cp, registry: registry).map(\.idToken)
                == ["A", "C", "HERE", String(repeating: "L", count: 21)])
        #expect(
            LocalAuthorizationList.entries(for: cp, registry: registry, maxTokenLength: 20).map(\.idToken) == [
                "A", "C", "HERE",
            ])
        #expect(LocalAuthorizationList.entries(for: cp, registry: registry)[0].status == .blocked)
    }

    @Test func firstUpdateIsFullWithVersionOne() throws {
        let desired = LocalAuthorizationList.entries(for: cp, registry: [record("B"), record("A")])
        let update = try #require(
            LocalAuthorizationList.update(chargePointId: cp, current: nil, desired: desired, at: now))
        #expect(update.kind == .full)
        #expect(update.version == 1)
        #expect(update.entries.map(\.idToken) == ["A", "B"])
        #expect(update.removals.isEmpty)
        #expect(
            update.resultingState == LocalListState(chargePointId: cp, version: 1, entries: desired, updatedAt: now))
    }

    @Test func differentialHoldsChangesAndRemovals() throws {
        let current = LocalListState(
            chargePointId: cp, version: 4,
            entries: LocalAuthorizationList.entries(for: cp, registry: [record("A"), record("B"), record("C")]),
            updatedAt: now)
        let desired = LocalAuthorizationList.entries(
            for: cp, registry: [record("A"), record("B", .blocked), record("D")])
        let update = try #require(
            LocalAuthorizationList.update(chargePointId: cp, current: current, desired: desired, at: now))
        #expect(update.kind == .differential)
        #expect(update.version == 5)
        #expect(update.entries.map(\.idToken) == ["B", "D"])
        #expect(update.removals == [AuthorizationToken(id: "C", type: "ISO14443")])
        #expect(update.resultingState.entries.map(\.idToken) == ["A", "B", "D"])
        // Nothing changed: nothing to send; asking for a full list still sends one.
        #expect(
            LocalAuthorizationList.update(chargePointId: cp, current: current, desired: current.entries, at: now) == nil
        )
        let full = try #require(
            LocalAuthorizationList.update(
                chargePointId: cp, current: current, desired: current.entries, full: true, at: now))
        #expect(full.kind == .full && full.version == 5 && full.entries.count == 3)

        // A new spelling of a token is a change (stations compare tokens without regard to case).
        let respelled = LocalAuthorizationList.entries(for: cp, registry: [record("a"), record("B"), record("C")])
        let change = try #require(
            LocalAuthorizationList.update(chargePointId: cp, current: current, desired: respelled, at: now))
        #expect(change.entries.map(\.idToken) == ["a"] && change.removals.isEmpty)
    }

    @Test func requestsPerMessageSet() throws {
        let current = LocalListState(
            chargePointId: cp, version: 1,
            entries: [LocalListEntry(idToken: "OLD", type: "KeyCode", status: .accepted)],
            updatedAt: now)
        let desired = [
            LocalListEntry(
                idToken: "NEW", type: "ISO14443", status: .notAtThisLocation, expiryDate: now, groupIdToken: "G")
        ]
        let update = try #require(
            LocalAuthorizationList.update(chargePointId: cp, current: current, desired: desired, at: now))
        let time = JSONValue.string(OCPPDateTime(now).text)
        #expect(
            update.request(for: .v16)
                == [
                    "listVersion": 2, "updateType": "Differential",
                    "localAuthorizationList": [
                        ["idTag": "NEW", "idTagInfo": ["expiryDate": time, "parentIdTag": "G", "status": "Invalid"]],
                        ["idTag": "OLD"],
                    ],
                ])
        let v201 = update.request(for: .v201)
        #expect(v201["versionNumber"] == 2 && v201["updateType"] == "Differential")
        let items201 = try #require(v201["localAuthorizationList"]?.arrayValue)
        #expect(items201[0]["idTokenInfo"]?["status"] == "NotAtThisLocation")
        #expect(items201[1] == ["idToken": ["idToken": "OLD", "type": "KeyCode"]])
        let items21 = try #require(update.request(for: .v21)["localAuthorizationList"]?.arrayValue)
        #expect(items21[0]["idToken"] == ["idToken": "NEW", "type": "ISO14443"])
        #expect(LocalListUpdate.maxTokenLength(for: .v16) == 20 && LocalListUpdate.maxTokenLength(for: .v201) == 36)

        let empty = try #require(LocalAuthorizationList.update(chargePointId: cp, current: nil, desired: [], at: now))
        #expect(empty.request(for: .v16) == ["listVersion": 1, "updateType": "Full"])
    }

    @Test func syncPlansFromTheStoreAndConcludesFromTheAnswer() async throws {
        let store = InMemoryStore()
        try await store.commit(
            [.upsertChargePoint(ChargePointUpdate(id: cp, registrationStatus: .accepted, at: now))]
                + (0..<1500).map { .upsertIdToken(record(String(format: "T%04d", $0))) }
                + [.upsertIdToken(record("LONG-TOKEN-OVER-TWENTY-CHARS"))])
        let first = try #require(try await LocalListSync.plan(store: store, chargePointId: cp, family: .v16, at: now))
        #expect(first.kind == .full && first.version == 1 && first.entries.count == 1500)  // paged; long token left out
        #expect(LocalListSync.outcome(of: first, status: "Failed") == .unchanged)
        #expect(LocalListSync.outcome(of: first, status: "VersionMismatch") == .unchanged)  // a full list: no retry
        guard case .commit(let writes) = LocalListSync.outcome(of: first, status: "Accepted") else {
            Issue.record("Accepted should commit the list")
            return
        }
        try await store.commit(writes)
        #expect(try await LocalListSync.plan(store: store, chargePointId: cp, family: .v16, at: now) == nil)

        try await store.commit([.deleteIdToken("T0001")])
        let next = try #require(try await LocalListSync.plan(store: store, chargePointId: cp, family: .v16, at: now))
        #expect(next.kind == .differential && next.version == 2 && next.removals.map(\.id) == ["T0001"])
        #expect(LocalListSync.outcome(of: next, status: "VersionMismatch") == .sendFull)
        let full = try #require(
            try await LocalListSync.plan(store: store, chargePointId: cp, family: .v201, full: true, at: now))
        #expect(full.kind == .full && full.entries.count == 1500)  // 2.0.1 allows 36 characters
    }
}
