public import CSMSCore
public import Foundation
public import OCPP
public import OCPP16
public import OCPP201
public import OCPP21

// The SendLocalList requests of a local list update, per message set (OCPP 1.6 §5.15 / §6.45,
// 2.0.1 part 2 D01 / D02). The operator route that sends them (POST
// /api/v1/charge-points/{id}/local-list/sync) uses the outbound command path; once the
// station answers Accepted it commits `.recordLocalList(update.resultingState)`; on
// VersionMismatch it sends a full update instead.

extension LocalListUpdate {
    /// The longest token each message set can carry in a local list (1.6 `idTag` CiString20,
    /// 2.0.1 `idToken` 36, 2.1 255); pass it to `LocalAuthorizationList.entries`.
    public static func maxTokenLength(for family: OCPPVersion.Family) -> Int {
        switch family {
        case .v16: 20
        case .v201: 36
        case .v21: IdTokenRecord.maxLength
        }
    }

    /// The request payload for a station speaking `family`.
    public func request(for family: OCPPVersion.Family) -> JSONValue {
        switch family {
        case .v16: ocpp16Request.encode()
        case .v201: ocpp201Request.encode()
        case .v21: ocpp21Request.encode()
        }
    }

    /// The 1.6 SendLocalList.req: removals are entries without `idTagInfo`.
    public var ocpp16Request: OCPP16.SendLocalListRequest {
        typealias Item = OCPP16.SendLocalListRequest.LocalAuthorization
        let items =
            entries.map { entry in
                Item(
                    idTag: entry.idToken,
                    idTagInfo: Item.IdTagInfo(
                        status: Item.IdTagInfo.Status(rawValue: entry.status.ocpp16.rawValue) ?? .invalid,
                        expiryDate: entry.expiryDate.map(OCPPDateTime.init), parentIdTag: entry.groupIdToken))
            } + removals.map { Item(idTag: $0.id) }
        return OCPP16.SendLocalListRequest(
            listVersion: version, updateType: kind == .full ? .full : .differential,
            localAuthorizationList: items.isEmpty ? nil : items)
    }

    /// The 2.0.1 SendLocalListRequest: removals are entries without `idTokenInfo`; an
    /// untyped token is sent as `Central`, a type 2.0.1 does not know as `Local`.
    public var ocpp201Request: OCPP201.SendLocalListRequest {
        func token(_ id: String, _ type: String?) -> OCPP201.IdToken {
            OCPP201.IdToken(idToken: id, type: type.map { OCPP201.IdTokenEnum(rawValue: $0) ?? .local } ?? .central)
        }
        let items =
            entries.map { entry in
                OCPP201.AuthorizationData(
                    idToken: token(entry.idToken, entry.type), idTokenInfo: OCPP201.IdTokenInfo(entry.decision))
            } + removals.map { OCPP201.AuthorizationData(idToken: token($0.id, $0.type)) }
        return OCPP201.SendLocalListRequest(
            versionNumber: version, updateType: kind == .full ? .full : .differential,
            localAuthorizationList: items.isEmpty ? nil : items)
    }

    /// The 2.1 SendLocalListRequest, as in 2.0.1 (2.1 token types are free text).
    public var ocpp21Request: OCPP21.SendLocalListRequest {
        let items =
            entries.map { entry in
                OCPP21.AuthorizationData(
                    idToken: OCPP21.IdToken(idToken: entry.idToken, type: entry.type ?? "Central"),
                    idTokenInfo: OCPP21.IdTokenInfo(entry.decision))
            }
            + removals.map {
                OCPP21.AuthorizationData(idToken: OCPP21.IdToken(idToken: $0.id, type: $0.type ?? "Central"))
            }
        return OCPP21.SendLocalListRequest(
            versionNumber: version, updateType: kind == .full ? .full : .differential,
            localAuthorizationList: items.isEmpty ? nil : items)
    }
}

extension LocalListEntry {
    /// The entry as a decision, for the shared `idTokenInfo` mapping.
    var decision: AuthorizationDecision {
        AuthorizationDecision(
            status: status, expiryDate: expiryDate, groupToken: groupIdToken.map { AuthorizationToken(id: $0) })
    }
}

/// Plans and concludes a local list sync for the operator route (`POST
/// /api/v1/charge-points/{id}/local-list/sync`): what to send, and what to store once the
/// station answered.
public enum LocalListSync {
    /// The update that brings the station's list up to date with the registry (`nil`: it is
    /// current and `full` was not asked). Reads the whole registry in pages and the stored
    /// list state; tokens too long for `family` are left out.
    public static func plan(
        store: any CSMSStore, chargePointId: ChargePointID, family: OCPPVersion.Family, full: Bool = false,
        at date: Date
    ) async throws(StoreError) -> LocalListUpdate? {
        var registry: [IdTokenRecord] = []
        var after: String?
        while true {
            let page = try await store.idTokens(after: after, limit: 1000)
            registry += page
            guard page.count == 1000, let last = page.last else { break }
            after = last.idToken
        }
        let desired = LocalAuthorizationList.entries(
            for: chargePointId, registry: registry, maxTokenLength: LocalListUpdate.maxTokenLength(for: family))
        let current = try await store.localList(of: chargePointId)
        return LocalAuthorizationList.update(
            chargePointId: chargePointId, current: current, desired: desired, full: full, at: date)
    }

    /// What the station's SendLocalList answer means.
    public enum Outcome: Equatable, Sendable {
        /// Accepted: commit these writes (the new list state).
        case commit([StoreWrite])
        /// VersionMismatch: plan again with `full: true` and send that.
        case sendFull
        /// Failed, NotSupported or anything else: nothing changes.
        case unchanged
    }

    /// The outcome of the station answering `status` (the response's `status`, any version)
    /// to `update`.
    public static func outcome(of update: LocalListUpdate, status: String) -> Outcome {
        switch status {
        case "Accepted": .commit([.recordLocalList(update.resultingState)])
        case "VersionMismatch": update.kind == .full ? .unchanged : .sendFull
        default: .unchanged
        }
    }
}
