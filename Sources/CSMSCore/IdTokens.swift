public import Foundation

/// One entry of the id token registry (API `PUT /api/v1/id-tokens/{idToken}`, CLI
/// `csms id-tokens import`): what the CSMS knows about a token a driver presents.
///
/// The registry is keyed by the token text alone, compared without regard to ASCII case (OCPP
/// 1.6 `IdToken` is a `CiString20`; 2.0.1 part 2 `IdTokenType.idToken`: "IdToken is case
/// insensitive"), so `04a1b2` finds `04A1B2`. A 1.6 `idTag` is at most 20 characters, a
/// 2.0.1 `idToken` at most 36, a 2.1 one at most 255. `type` (2.x `IdTokenEnumType`) narrows
/// the entry to requests presenting that type; `nil` matches any type (and every 1.6 idTag).
public struct IdTokenRecord: Sendable, Equatable {
    /// The token text (the registry key).
    public var idToken: String
    /// The 2.x token type (`ISO14443`, `eMAID`, `Central`, ...); `nil` matches any type.
    public var type: String?
    /// The stored status (`Accepted`, `Blocked`, `Expired`, `Invalid`, 2.x `NoCredit`, ...).
    public var status: AuthorizationStatus
    /// When the token stops being valid; at or after it the token is answered `Expired`.
    public var expiryDate: Date?
    /// The group (parent) token, itself usually a registry entry (1.6 `parentIdTag`, 2.x
    /// `groupIdToken`).
    public var groupIdToken: String?
    /// The charge points where the token may be used; `nil` means everywhere.
    public var chargePointIds: [ChargePointID]?
    /// The 2.x EVSEs the token is valid for (sent to the station in `idTokenInfo.evseId`);
    /// `nil` means all.
    public var evseIds: [Int]?
    /// 2.x: the driver's preferred language (RFC 5646, e.g. `de`).
    public var language: String?
    /// 2.x: a message shown to the driver.
    public var personalMessage: String?
    /// Whether the external authorizer (webhook) decides for this token instead of the
    /// registry (the registry entry is the fallback when no webhook is configured).
    public var external: Bool
    /// When the entry was first stored (kept by later updates).
    public var createdAt: Date
    /// When the entry was last stored.
    public var updatedAt: Date

    /// A registry entry.
    public init(
        idToken: String, type: String? = nil, status: AuthorizationStatus = .accepted, expiryDate: Date? = nil,
        groupIdToken: String? = nil, chargePointIds: [ChargePointID]? = nil, evseIds: [Int]? = nil,
        language: String? = nil, personalMessage: String? = nil, external: Bool = false, createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.idToken = idToken
        self.type = type
        self.status = status
        self.expiryDate = expiryDate
        self.groupIdToken = groupIdToken
        self.chargePointIds = chargePointIds
        self.evseIds = evseIds
        self.language = language
        self.personalMessage = personalMessage
        self.external = external
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The longest token text accepted (2.1 `identifierString` of 255 characters).
    public static let maxLength = 255

    /// Whether `text` can be a registry key: 1 to 255 printable ASCII characters (OCPP 2.0.1
    /// part 2 `IdTokenType.idToken` is a case-insensitive `identifierString`; 1.6 `CiString20`).
    public static func isValidToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maxLength && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The token types of OCPP 2.0.1 (`IdTokenEnumType`) and the ones 2.1 adds.
    public static let knownTypes: Set<String> = [
        "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization",
        // OCPP 2.1 additions.
        "DirectPayment", "EVCCID", "VIN",
    ]

    /// Whether the entry answers a request presenting `type` (`nil`: a 1.6 idTag).
    public func matches(type presented: String?) -> Bool {
        guard let type, let presented else { return true }
        return type == presented
    }

    /// Whether the token may be used at `chargePointId`.
    public func isAllowed(at chargePointId: ChargePointID) -> Bool {
        chargePointIds.map { $0.contains(chargePointId) } ?? true
    }
}

/// A station's local authorization list as last accepted by the station (OCPP 1.6 §5.15
/// SendLocalList, 2.0.1 part 2 D01/D02): its version and its entries.
public struct LocalListState: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The list version the station holds (greater than 0 once a list was sent).
    public var version: Int
    /// The entries, ordered by token.
    public var entries: [LocalListEntry]
    /// When the state was stored.
    public var updatedAt: Date

    /// A state; the entries are kept ordered by token.
    public init(chargePointId: ChargePointID, version: Int, entries: [LocalListEntry], updatedAt: Date) {
        self.chargePointId = chargePointId
        self.version = version
        self.entries = entries.sorted { $0.idToken < $1.idToken }
        self.updatedAt = updatedAt
    }
}

/// One entry of a local authorization list: a token and the id token information the
/// station keeps for it.
public struct LocalListEntry: Sendable, Hashable {
    /// The token text.
    public var idToken: String
    /// The 2.x token type (`nil`: not typed; sent as `Central` to 2.x stations).
    public var type: String?
    /// The status the station applies offline.
    public var status: AuthorizationStatus
    /// When the token expires.
    public var expiryDate: Date?
    /// The group (parent) token.
    public var groupIdToken: String?

    /// An entry.
    public init(
        idToken: String, type: String? = nil, status: AuthorizationStatus, expiryDate: Date? = nil,
        groupIdToken: String? = nil
    ) {
        self.idToken = idToken
        self.type = type
        self.status = status
        self.expiryDate = expiryDate
        self.groupIdToken = groupIdToken
    }
}

/// Reading the id token registry and the local list states (part of `CSMSStore`).
public protocol IdTokenStoreReading: Sendable {
    /// The registry entry of `idToken` (compared without regard to ASCII case), if any.
    func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord?

    /// Registry entries ordered by token without regard to ASCII case, after `after`, at
    /// most `limit`.
    func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord]

    /// The local list the station holds, if one was ever sent and accepted.
    func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState?
}

/// Counts a token's active transactions, for the `ConcurrentTx` rule. The transaction store
/// implements it; it is given to `RegistryAuthorizer` when built (none: concurrent use is
/// allowed).
public protocol ActiveTransactionCounting: Sendable {
    /// How many transactions started with `token` are active, not counting the transaction
    /// `excludingTransactionId` (the one asking).
    func activeTransactionCount(
        token: AuthorizationToken, excludingTransactionId: String?
    ) async throws(StoreError) -> Int
}
