import CSMSCore
import Foundation
import OCPP
import Synchronization

/// The webhook's JSON (docs/authorization.md, "External authorization").
///
/// Request: `{"chargePointId": "CP-1", "idToken": "04A2B3", "type": "ISO14443" | null,
/// "evseId": 1 | null}`. Answer: `{"status": "Accepted", "expiryDate"?: RFC 3339,
/// "groupIdToken"?: "G" or {"idToken": "G", "type": "Central"}, "language"?: "de",
/// "personalMessage"?: "…"}`. Unknown members are ignored.
enum WebhookMessages {
    /// The largest answer read, in bytes.
    static let maxResponseSize = 64 * 1024

    /// The statuses an answer may carry (OCPP 2.0.1 `AuthorizationStatusEnumType`).
    static let statuses: Set<String> = [
        "Accepted", "Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE",
        "NotAtThisLocation", "NotAtThisTime", "Unknown",
    ]

    /// The request body for `request`.
    static func requestBody(_ request: AuthorizationRequest) -> [UInt8] {
        let body: JSONValue = [
            "chargePointId": .string(request.chargePointId.rawValue),
            "idToken": .string(request.token.id),
            "type": request.token.type.map(JSONValue.string) ?? .null,
            "evseId": request.evseId.map { .number(JSONNumber($0)) } ?? .null,
        ]
        return body.serialized()
    }

    /// The decision in an answer body, or `nil` when it is not a JSON object with a known
    /// `status` (and, when present, a valid `expiryDate` and group token).
    static func decision(from bytes: [UInt8]) -> AuthorizationDecision? {
        guard let value = try? JSONValue(parsing: bytes), case .object(let object) = value,
            let status = object["status"]?.stringValue, statuses.contains(status)
        else { return nil }
        var decision = AuthorizationDecision(status: AuthorizationStatus(rawValue: status))
        switch object["expiryDate"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let date = OCPPDateTime(rfc3339: text) else { return nil }
            decision.expiryDate = date.date
        default: return nil
        }
        switch object["groupIdToken"] {
        case nil, .null?: break
        case .string(let id)?: decision.groupToken = AuthorizationToken(id: id)
        case .object(let group)?:
            guard let id = group["idToken"]?.stringValue else { return nil }
            decision.groupToken = AuthorizationToken(id: id, type: group["type"]?.stringValue)
        default: return nil
        }
        decision.language = object["language"]?.stringValue
        decision.personalMessage = object["personalMessage"]?.stringValue
        return decision
    }
}

/// The webhook answers by charge point and token: fresh ones (younger than the TTL) are
/// answered without asking; any one is the fallback when the webhook fails. At most
/// `capacity` entries; when full, expired entries go first, then the oldest.
final class DecisionCache: Sendable {
    struct Key: Hashable, Sendable {
        var chargePointId: String
        var idToken: String
        var type: String?

        init(_ request: AuthorizationRequest) {
            chargePointId = request.chargePointId.rawValue
            idToken = request.token.id
            type = request.token.type
        }
    }

    private struct Entry {
        var decision: AuthorizationDecision
        var storedAt: ContinuousClock.Instant
    }

    private let ttl: Duration
    private let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    init(ttl: Duration, capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    /// The answer stored less than the TTL before `now`.
    func fresh(_ key: Key, at now: ContinuousClock.Instant) -> AuthorizationDecision? {
        entries.withLock { entries in
            guard let entry = entries[key], now < entry.storedAt.advanced(by: ttl) else { return nil }
            return entry.decision
        }
    }

    /// The last answer stored for `key`, however old.
    func any(_ key: Key) -> AuthorizationDecision? {
        entries.withLock { $0[key]?.decision }
    }

    /// Stores `decision` for `key` at `now`.
    func store(_ decision: AuthorizationDecision, for key: Key, at now: ContinuousClock.Instant) {
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                let expired = entries.filter { now >= $0.value.storedAt.advanced(by: ttl) }.map(\.key)
                if expired.isEmpty {
                    if let oldest = entries.min(by: { $0.value.storedAt < $1.value.storedAt })?.key {
                        entries[oldest] = nil
                    }
                } else {
                    for key in expired { entries[key] = nil }
                }
            }
            entries[key] = Entry(decision: decision, storedAt: now)
        }
    }

    /// How many answers are kept.
    var count: Int { entries.withLock { $0.count } }
}
