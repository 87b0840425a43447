import Foundation

/// The settings of the authorization service (docs/configuration.md, `authorization.*`).
public struct AuthorizationPolicy: Sendable, Equatable {
    /// Whether a token of type `NoAuthorization` (2.x `IdTokenEnumType`: "no authorization
    /// is done", e.g. free vend) is `Accepted`; otherwise it is `Invalid`. Default off.
    public var allowNoAuthorization: Bool
    /// Whether a token may be used by several transactions at once; when not, a token with an
    /// active transaction elsewhere is answered `ConcurrentTx`. Default allowed.
    public var allowConcurrentTransactions: Bool
    /// The status answered when the registry cannot be read (database failure). Default
    /// `Invalid`.
    public var fallbackStatus: AuthorizationStatus

    /// A policy; the defaults are those of docs/configuration.md.
    public init(
        allowNoAuthorization: Bool = false, allowConcurrentTransactions: Bool = true,
        fallbackStatus: AuthorizationStatus = .invalid
    ) {
        self.allowNoAuthorization = allowNoAuthorization
        self.allowConcurrentTransactions = allowConcurrentTransactions
        self.fallbackStatus = fallbackStatus
    }
}

/// The authorization service on the id token registry (docs/authorization.md).
///
/// Rules, in order:
/// 1. type `NoAuthorization`: `Accepted` when the policy allows it, else `Invalid`;
/// 2. a token not in the registry (or registered with another type), or one marked
///    `external`: the external authorizer decides when one is configured; an unknown token
///    is `Invalid` otherwise;
/// 3. the registry status when it is not `Accepted` (`Blocked`, `Expired`, ...);
/// 4. `Expired` when the expiry date has passed;
/// 5. the group token: `Blocked`/`Invalid`/... when the group's status is not `Accepted`,
///    `Expired` when the group has expired;
/// 6. `NotAtThisLocation` when the token is limited to other charge points (1.6 answers
///    carry it as `Invalid` through `AuthorizationStatus.ocpp16`);
/// 7. `ConcurrentTx` when concurrent use is not allowed and the token has an active
///    transaction other than the asking one.
public struct RegistryAuthorizer: Authorizer {
    private let store: any IdTokenStoreReading
    private let policy: AuthorizationPolicy
    private let external: (any Authorizer)?
    private let activeTransactions: (any ActiveTransactionCounting)?

    /// The authorizer over `store`. `external` decides unknown and `external` tokens;
    /// `activeTransactions` counts a token's transactions for the `ConcurrentTx` rule (`nil`:
    /// concurrent use is allowed whatever the policy says).
    public init(
        store: any IdTokenStoreReading, policy: AuthorizationPolicy = AuthorizationPolicy(),
        external: (any Authorizer)? = nil, activeTransactions: (any ActiveTransactionCounting)? = nil
    ) {
        self.store = store
        self.policy = policy
        self.external = external
        self.activeTransactions = activeTransactions
    }

    /// The decision for `request`; never throws (a store failure answers the policy's
    /// fallback status).
    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        if request.token.type == Self.noAuthorizationType {
            return AuthorizationDecision(status: policy.allowNoAuthorization ? .accepted : .invalid)
        }
        do {
            let found = try await store.idToken(request.token.id)
            let record = found.flatMap { $0.matches(type: request.token.type) ? $0 : nil }
            var decision: AuthorizationDecision
            if let external, record?.external ?? true {
                decision = await external.authorize(request)
            } else if let record {
                var group: IdTokenRecord?
                if let groupId = record.groupIdToken { group = try await store.idToken(groupId) }
                decision = Self.decide(record: record, group: group, request: request)
            } else {
                return AuthorizationDecision(status: .invalid)
            }
            guard decision.status == .accepted, !policy.allowConcurrentTransactions, let activeTransactions else {
                return decision
            }
            let active = try await activeTransactions.activeTransactionCount(
                token: request.token, excludingTransactionId: request.transactionId)
            if active > 0 { decision.status = .concurrentTx }
            return decision
        } catch {
            return AuthorizationDecision(status: policy.fallbackStatus)
        }
    }

    /// The `NoAuthorization` token type.
    public static let noAuthorizationType = "NoAuthorization"

    /// The pure rules 3 to 6 for a registered token: its status, expiry, group and
    /// location. `group` is the group token's registry entry, if it has one.
    public static func decide(
        record: IdTokenRecord, group: IdTokenRecord?, request: AuthorizationRequest
    ) -> AuthorizationDecision {
        var decision = AuthorizationDecision(
            status: .accepted, expiryDate: record.expiryDate,
            groupToken: record.groupIdToken.map { AuthorizationToken(id: $0, type: group?.type) },
            language: record.language, personalMessage: record.personalMessage, evseIds: record.evseIds)
        if record.status != .accepted {
            decision.status = record.status
        } else if let expiry = record.expiryDate, expiry <= request.at {
            decision.status = .expired
        } else if let group, group.status != .accepted {
            decision.status = group.status
        } else if let expiry = group?.expiryDate, expiry <= request.at {
            decision.status = .expired
        } else if !record.isAllowed(at: request.chargePointId) {
            decision.status = .notAtThisLocation
        }
        return decision
    }
}
