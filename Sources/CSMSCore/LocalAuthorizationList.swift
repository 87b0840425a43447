public import Foundation

/// One SendLocalList to send to a station (OCPP 1.6 §5.15, 2.0.1 part 2 D01): a full list or
/// the changes since the version the station holds, and the state to store once the station
/// answers `Accepted`.
public struct LocalListUpdate: Sendable, Equatable {
    /// Full replacement or differential change (`updateType`).
    public enum Kind: String, Sendable, Equatable {
        /// The station replaces its list with `entries`.
        case full = "Full"
        /// The station adds or updates `entries` and removes `removals`.
        case differential = "Differential"
    }

    /// Full or differential.
    public var kind: Kind
    /// The version the list has after this update (`listVersion` / `versionNumber`).
    public var version: Int
    /// Full: every entry; differential: the added or changed entries.
    public var entries: [LocalListEntry]
    /// Differential: the tokens to remove (sent without id token information), with the
    /// type they had in the station's list.
    public var removals: [AuthorizationToken]
    /// The station's list after the update; commit it with `.recordLocalList` once the
    /// station answered `Accepted`.
    public var resultingState: LocalListState

    /// An update.
    public init(
        kind: Kind, version: Int, entries: [LocalListEntry], removals: [AuthorizationToken],
        resultingState: LocalListState
    ) {
        self.kind = kind
        self.version = version
        self.entries = entries
        self.removals = removals
        self.resultingState = resultingState
    }
}

/// The local authorization list logic, without I/O: which registry entries a station's list
/// holds, and the update that brings the station from its last accepted list to that one.
public enum LocalAuthorizationList {
    /// The list a station should hold: every registry entry that may be used at
    /// `chargePointId` and is not decided by the external authorizer, ordered by token.
    /// Blocked, expired and invalid entries are kept (the station must refuse them offline too).
    /// Tokens longer than `maxTokenLength` (the message set's limit) are left out.
    public static func entries(
        for chargePointId: ChargePointID, registry: [IdTokenRecord], maxTokenLength: Int = IdTokenRecord.maxLength
    ) -> [LocalListEntry] {
        registry.filter { !$0.external && $0.isAllowed(at: chargePointId) && $0.idToken.count <= maxTokenLength }
            .map { record in
                LocalListEntry(
                    idToken: record.idToken, type: record.type, status: record.status, expiryDate: record.expiryDate,
                    groupIdToken: record.groupIdToken)
            }
            .sorted { $0.idToken < $1.idToken }
    }

    /// The update from `current` (the list the station holds; `nil` when it never accepted
    /// one) to `desired`.
    ///
    /// A full update when `full` is asked or the station holds no list yet; otherwise a
    /// differential one with the added or changed entries and the removed tokens, or `nil`
    /// when nothing changed. The version is one more than the current one.
    public static func update(
        chargePointId: ChargePointID, current: LocalListState?, desired: [LocalListEntry], full: Bool = false,
        at date: Date
    ) -> LocalListUpdate? {
        let version = (current?.version ?? 0) + 1
        let resulting = LocalListState(
            chargePointId: chargePointId, version: version, entries: desired, updatedAt: date)
        guard let current, !full else {
            return LocalListUpdate(
                kind: .full, version: version, entries: resulting.entries, removals: [], resultingState: resulting)
        }
        // Stations compare tokens without regard to case: a token whose spelling changed is a
        // change, not a removal plus an addition.
        let old = Dictionary(
            current.entries.map { ($0.idToken.lowercased(), $0) }, uniquingKeysWith: { _, last in last })
        let new = Set(resulting.entries.map { $0.idToken.lowercased() })
        let changed = resulting.entries.filter { old[$0.idToken.lowercased()] != $0 }
        let removed = current.entries.filter { !new.contains($0.idToken.lowercased()) }
            .sorted { $0.idToken < $1.idToken }
            .map { AuthorizationToken(id: $0.idToken, type: $0.type) }
        guard !changed.isEmpty || !removed.isEmpty else { return nil }
        return LocalListUpdate(
            kind: .differential, version: version, entries: changed, removals: removed, resultingState: resulting)
    }
}
