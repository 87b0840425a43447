public import CSMSCore
import Foundation

/// The security feature's part of the in-memory store's state (kept inside the store's one
/// state value, so that its writes commit atomically with the others).
struct MemorySecurityState {
    var profiles: [ChargePointID: Int] = [:]
    var events: [SecurityEvent] = []
    var nextEventId: Int64 = 1
    var certificates: [String: StationCertificate] = [:]
    var tokens: [String: APITokenRecord] = [:]

    mutating func apply(_ write: StoreWrite) {
        switch write {
        case .setSecurityProfile(let id, let profile, _):
            profiles[id] = profile
        case .addSecurityEvent(var event):
            event.id = nextEventId
            event.occurredAt = event.occurredAt.roundedToMilliseconds
            event.receivedAt = event.receivedAt.roundedToMilliseconds
            nextEventId += 1
            events.append(event)
        case .recordStationCertificate(var certificate):
            certificate.notBefore = certificate.notBefore.roundedToMilliseconds
            certificate.notAfter = certificate.notAfter.roundedToMilliseconds
            certificate.issuedAt = certificate.issuedAt.roundedToMilliseconds
            certificates[certificate.chargePointId.rawValue + "\u{0}" + certificate.serialNumber] = certificate
        case .putAPIToken(var token):
            token.createdAt = token.createdAt.roundedToMilliseconds
            tokens[token.name] = token
        case .deleteAPIToken(let name):
            tokens[name] = nil
        default:
            break
        }
    }
}

extension InMemoryStore {
    /// The station's own security profile, if one is set.
    public func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int? {
        withSecurityState { $0.profiles[id] }
    }

    /// Security events, optionally of one station, ordered by id, after `after`, at most `limit`.
    public func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]
    {
        guard limit > 0 else { return [] }
        return withSecurityState { s in
            Array(
                s.events.lazy.filter { event in
                    (chargePointId.map { event.chargePointId == $0 } ?? true)
                        && (after.map { (event.id ?? 0) > $0 } ?? true)
                }
                .prefix(limit))
        }
    }

    /// Tracked certificates, optionally of one station, soonest expiry first.
    public func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate] {
        withSecurityState { s in
            s.certificates.values.filter { certificate in id.map { certificate.chargePointId == $0 } ?? true }
                .sorted { a, b in
                    (a.notAfter, a.chargePointId.rawValue, a.serialNumber)
                        < (b.notAfter, b.chargePointId.rawValue, b.serialNumber)
                }
        }
    }

    /// Every API token record, ordered by name.
    public func apiTokens() async throws(StoreError) -> [APITokenRecord] {
        withSecurityState { s in s.tokens.values.sorted { $0.name < $1.name } }
    }
}
