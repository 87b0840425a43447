import CSMSCore
import CSMSTesting
import Foundation
import Synchronization
import Testing

/// Counts a fixed number of active transactions per token id (the transaction store's part).
struct FixedTransactionCounter: ActiveTransactionCounting {
    var counts: [String: Int]
    var fails = false
    /// The transaction that is not counted when asked (it is the asking one).
    var ownTransactionId: String?

    func activeTransactionCount(
        token: AuthorizationToken, excludingTransactionId: String?
    ) async throws(StoreError) -> Int {
        if fails { throw StoreError(.unavailable, "injected") }
        let count = counts[token.id] ?? 0
        return excludingTransactionId != nil && excludingTransactionId == ownTransactionId ? count - 1 : count
    }
}

/// An external authorizer double that answers a fixed status and counts its calls.
final class FixedAuthorizer: Authorizer {
    let status: AuthorizationStatus
    private let calls = Mutex(0)
    init(_ status: AuthorizationStatus) { self.status = status }
    var callCount: Int { calls.withLock { $0 } }
    func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        calls.withLock { $0 += 1 }
        return AuthorizationDecision(status: status)
    }
}

@Suite("Authorization rules")
struct AuthorizationRuleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let here = ChargePointID("CP-HERE")!
    let there = ChargePointID("CP-THERE")!

    func request(_ id: String, type: String? = nil, at cp: ChargePointID? = nil, tx: String? = nil)
        -> AuthorizationRequest
    {
        AuthorizationRequest(
            chargePointId: cp ?? here, token: AuthorizationToken(id: id, type: type), at: now, transactionId: tx)
    }

    func record(
        _ id: String, _ status: AuthorizationStatus = .accepted, expiry: TimeInterval? = nil, group: String? = nil,
        at chargePoints: [ChargePointID]? = nil, type: String? = nil, external: Bool = false
    ) -> IdTokenRecord {
        IdTokenRecord(
            idToken: id, type: type, status: status, expiryDate: expiry.map { now.addingTimeInterval($0) },
            groupIdToken: group, chargePointIds: chargePoints, language: "fr", personalMessage: "Bonjour",
            external: external, createdAt: now)
    }

    func store(_ records: IdTokenRecord...) async throws -> InMemoryStore {
        let store = InMemoryStore()
        try await store.commit(records.map { .upsertIdToken($0) })
        return store
    }

    // MARK: Pure rules

    @Test func acceptedTokenCarriesItsInformation() {
        let decision = RegistryAuthorizer.decide(
            record: record("A", expiry: 60, group: "G"), group: record("G", type: "Central"), request: request("A"))
        #expect(decision.status == .accepted)
        #expect(decision.expiryDate == now.addingTimeInterval(60))
        #expect(decision.groupToken == AuthorizationToken(id: "G", type: "Central"))
        #expect(decision.language == "fr" && decision.personalMessage == "Bonjour")
    }

    @Test(arguments: [AuthorizationStatus.blocked, .expired, .invalid, .noCredit, .notAtThisTime])
    func storedStatusOtherThanAcceptedIsAnswered(_ status: AuthorizationStatus) {
        #expect(
            RegistryAuthorizer.decide(record: record("A", status), group: nil, request: request("A")).status == status)
    }

    @Test func expiryAtOrBeforeNowIsExpired() {
        #expect(
            RegistryAuthorizer.decide(record: record("A", expiry: 0), group: nil, request: request("A")).status
                == .expired)
        #expect(
            RegistryAuthorizer.decide(record: record("A", expiry: -1), group: nil, request: request("A")).status
                == .expired)
        #expect(
            RegistryAuthorizer.decide(record: record("A", expiry: 1), group: nil, request: request("A")).status
                == .accepted)
    }

    @Test func blockedOrExpiredGroupDecides() {
        let token = record("A", group: "G")
        #expect(
            RegistryAuthorizer.decide(record: token, group: record("G", .blocked), request: request("A")).status
                == .blocked)
        #expect(
            RegistryAuthorizer.decide(record: token, group: record("G", expiry: -5), request: request("A")).status
                == .expired)
        #expect(RegistryAuthorizer.decide(record: token, group: nil, request: request("A")).status == .accepted)
        // The token's own status comes first.
        #expect(
            RegistryAuthorizer.decide(
                record: record("A", .invalid, group: "G"), group: record("G", .blocked), request: request("A")
            )
            .status == .invalid)
    }

    @Test func tokenLimitedToOtherChargePointsIsNotAtThisLocation() {
        let token = record("A", at: [there])
        let decision = RegistryAuthorizer.decide(record: token, group: nil, request: request("A"))
        #expect(decision.status == .notAtThisLocation)
        #expect(decision.status.ocpp16 == .invalid)
        #expect(
            RegistryAuthorizer.decide(record: token, group: nil, request: request("A", at: there)).status == .accepted)
        #expect(
            RegistryAuthorizer.decide(record: record("A", at: []), group: nil, request: request("A")).status
                == .notAtThisLocation)
    }

    // MARK: The authorizer over the registry

    @Test func unknownTokenIsInvalidWithoutExternalAuthorizer() async throws {
        let authorizer = RegistryAuthorizer(store: try await store(record("A")))
        #expect(await authorizer.authorize(request("B")).status == .invalid)
        #expect(await authorizer.authorize(request("A")).status == .accepted)
        #expect(await authorizer.authorize(request("a")).status == .accepted)  // tokens are case-insensitive
    }

    @Test func typedEntryAnswersOnlyItsType() async throws {
        let authorizer = RegistryAuthorizer(store: try await store(record("A", type: "ISO14443")))
        #expect(await authorizer.authorize(request("A", type: "ISO14443")).status == .accepted)
        #expect(await authorizer.authorize(request("A", type: "KeyCode")).status == .invalid)
        #expect(await authorizer.authorize(request("A")).status == .accepted)  // 1.6 idTag: untyped
    }

    @Test func groupIsReadFromTheRegistry() async throws {
        let authorizer = RegistryAuthorizer(store: try await store(record("A", group: "G"), record("G", .blocked)))
        #expect(await authorizer.authorize(request("A")).status == .blocked)
    }

    @Test func noAuthorizationTokenOnlyWhenAllowed() async throws {
        let empty = InMemoryStore()
        let strict = RegistryAuthorizer(store: empty)
        let lenient = RegistryAuthorizer(store: empty, policy: AuthorizationPolicy(allowNoAuthorization: true))
        #expect(await strict.authorize(request("", type: "NoAuthorization")).status == .invalid)
        #expect(await lenient.authorize(request("", type: "NoAuthorization")).status == .accepted)
    }

    @Test func concurrentUseAnsweredConcurrentTxWhenForbidden() async throws {
        let registry = try await store(record("A"), record("B"))
        let counter = FixedTransactionCounter(counts: ["A": 1], ownTransactionId: "tx-1")
        let forbidding = RegistryAuthorizer(
            store: registry, policy: AuthorizationPolicy(allowConcurrentTransactions: false),
            activeTransactions: counter)
        #expect(await forbidding.authorize(request("A")).status == .concurrentTx)
        #expect(await forbidding.authorize(request("A", tx: "tx-1")).status == .accepted)  // its own transaction
        #expect(await forbidding.authorize(request("B")).status == .accepted)
        let allowing = RegistryAuthorizer(store: registry, activeTransactions: counter)
        #expect(await allowing.authorize(request("A")).status == .accepted)
        let noCounter = RegistryAuthorizer(
            store: registry, policy: AuthorizationPolicy(allowConcurrentTransactions: false))
        #expect(await noCounter.authorize(request("A")).status == .accepted)
        // A blocked token stays blocked (the count is not asked).
        let blocked = RegistryAuthorizer(
            store: try await store(record("A", .blocked)),
            policy: AuthorizationPolicy(allowConcurrentTransactions: false),
            activeTransactions: counter)
        #expect(await blocked.authorize(request("A")).status == .blocked)
    }

    @Test func storeFailureAnswersTheFallbackStatus() async throws {
        let failingCounter = RegistryAuthorizer(
            store: try await store(record("A")),
            policy: AuthorizationPolicy(allowConcurrentTransactions: false, fallbackStatus: .blocked),
            activeTransactions: FixedTransactionCounter(counts: [:], fails: true))
        #expect(await failingCounter.authorize(request("A")).status == .blocked)
    }

    @Test func externalAuthorizerDecidesUnknownAndExternalTokens() async throws {
        let external = FixedAuthorizer(.accepted)
        let authorizer = RegistryAuthorizer(
            store: try await store(record("LOCAL", .blocked), record("EXT", .blocked, external: true)),
            external: external)
        #expect(await authorizer.authorize(request("UNKNOWN")).status == .accepted)
        #expect(await authorizer.authorize(request("EXT")).status == .accepted)
        #expect(external.callCount == 2)
        #expect(await authorizer.authorize(request("LOCAL")).status == .blocked)
        #expect(external.callCount == 2)
        // Without a webhook, an external entry is decided by its registry fields.
        let registryOnly = RegistryAuthorizer(store: try await store(record("EXT", .blocked, external: true)))
        #expect(await registryOnly.authorize(request("EXT")).status == .blocked)
    }
}
