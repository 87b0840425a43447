public import Foundation

/// An identifier presented for authorization: a 1.6 `idTag` (no type) or a 2.x `idToken`
/// with its type (`ISO14443`, `eMAID`, `Central`, ...; 2.1 allows any text).
public struct AuthorizationToken: Hashable, Sendable {
    /// The identifier text (1.6: at most 20 characters; 2.x: at most 36 in 2.0.1, 255 in 2.1).
    public var id: String
    /// The 2.x `IdTokenEnumType` value; `nil` for a 1.6 idTag.
    public var type: String?

    /// A token.
    public init(id: String, type: String? = nil) {
        self.id = id
        self.type = type
    }
}

/// The status of a token, as in OCPP 2.0.1 `AuthorizationStatusEnumType` (the 1.6 values are
/// a subset). Extensible: 2.1 values pass through.
public struct AuthorizationStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The status text as sent on the wire.
    public let rawValue: String
    /// A status.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Allowed to charge.
    public static let accepted = AuthorizationStatus(rawValue: "Accepted")
    /// Blocked by the operator.
    public static let blocked = AuthorizationStatus(rawValue: "Blocked")
    /// Past its expiry date.
    public static let expired = AuthorizationStatus(rawValue: "Expired")
    /// Not known or not valid.
    public static let invalid = AuthorizationStatus(rawValue: "Invalid")
    /// Already in use by another transaction and concurrent use is not allowed.
    public static let concurrentTx = AuthorizationStatus(rawValue: "ConcurrentTx")
    /// 2.x: no credit left.
    public static let noCredit = AuthorizationStatus(rawValue: "NoCredit")
    /// 2.x: not allowed for this EVSE's type.
    public static let notAllowedTypeEVSE = AuthorizationStatus(rawValue: "NotAllowedTypeEVSE")
    /// 2.x: not allowed at this location (charge point).
    public static let notAtThisLocation = AuthorizationStatus(rawValue: "NotAtThisLocation")
    /// 2.x: not allowed at this time.
    public static let notAtThisTime = AuthorizationStatus(rawValue: "NotAtThisTime")
    /// 2.x: unknown token.
    public static let unknown = AuthorizationStatus(rawValue: "Unknown")

    /// The status in OCPP 1.6 terms (`Accepted`, `Blocked`, `Expired`, `Invalid`,
    /// `ConcurrentTx`): the 2.x-only statuses become `Invalid`.
    public var ocpp16: AuthorizationStatus {
        switch self {
        case .accepted, .blocked, .expired, .invalid, .concurrentTx: self
        default: .invalid
        }
    }

    /// The raw value.
    public var description: String { rawValue }
}

/// What the authorization service is asked: may `token` charge at this station (and EVSE)?
public struct AuthorizationRequest: Sendable, Equatable {
    /// The station asking.
    public var chargePointId: ChargePointID
    /// The presented token.
    public var token: AuthorizationToken
    /// The EVSE (2.x) or connector (1.6), when the message names one.
    public var evseId: Int?
    /// When the station asked (the message's receive time).
    public var at: Date
    /// Whether the question comes with a transaction that is already running (a
    /// StartTransaction or TransactionEvent): the transaction itself does not count as a
    /// concurrent use of the token.
    public var transactionId: String?

    /// A request.
    public init(
        chargePointId: ChargePointID, token: AuthorizationToken, evseId: Int? = nil, at: Date,
        transactionId: String? = nil
    ) {
        self.chargePointId = chargePointId
        self.token = token
        self.evseId = evseId
        self.at = at
        self.transactionId = transactionId
    }
}

/// The authorization service's answer, carried into 1.6 `idTagInfo` and 2.x `idTokenInfo`.
public struct AuthorizationDecision: Sendable, Equatable {
    /// The status.
    public var status: AuthorizationStatus
    /// When the station's cached authorization expires (1.6 `expiryDate`, 2.x
    /// `cacheExpiryDateTime`).
    public var expiryDate: Date?
    /// The group (parent) token.
    public var groupToken: AuthorizationToken?
    /// 2.x: preferred language (RFC 5646).
    public var language: String?
    /// 2.x: a message to show to the driver.
    public var personalMessage: String?
    /// 2.x: the EVSEs the token is valid for (`nil`: all).
    public var evseIds: [Int]?

    /// A decision.
    public init(
        status: AuthorizationStatus, expiryDate: Date? = nil, groupToken: AuthorizationToken? = nil,
        language: String? = nil, personalMessage: String? = nil, evseIds: [Int]? = nil
    ) {
        self.status = status
        self.expiryDate = expiryDate
        self.groupToken = groupToken
        self.language = language
        self.personalMessage = personalMessage
        self.evseIds = evseIds
    }
}

/// Decides whether a token may charge. One service answers Authorize and the id token
/// information in transaction answers (StartTransaction, StopTransaction, TransactionEvent).
/// It never throws: a failing dependency (database, external authorizer) turns into the
/// configured fallback decision.
public protocol Authorizer: Sendable {
    /// The decision for `request`.
    func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision
}

/// The authorizer of a CSMS without a token registry: every token is `Invalid` (an unknown
/// token is never accepted by default).
public struct UnknownTokenAuthorizer: Authorizer {
    /// The authorizer.
    public init() {}
    /// Always `Invalid`.
    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        AuthorizationDecision(status: .invalid)
    }
}
