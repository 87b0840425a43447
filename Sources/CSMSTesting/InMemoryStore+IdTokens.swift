public import CSMSCore
import Foundation

/// The id token registry and local list states of an `InMemoryStore` (part of its one state
/// value, so that a commit applies them atomically with the rest).
struct IdTokenMemoryState {
    /// Entries by their token in lower case (tokens compare without regard to ASCII case).
    var tokens: [String: IdTokenRecord] = [:]
    var localLists: [ChargePointID: LocalListState] = [:]

    /// Applies an id token write; `isRegistered` tells whether a local list's charge point
    /// is registered.
    mutating func apply(_ write: StoreWrite, isRegistered: Bool) throws(StoreError) {
        switch write {
        case .upsertIdToken(var record):
            record.createdAt =
                (tokens[record.idToken.lowercased()]?.createdAt ?? record.createdAt).roundedToMilliseconds
            record.updatedAt = record.updatedAt.roundedToMilliseconds
            record.expiryDate = record.expiryDate?.roundedToMilliseconds
            tokens[record.idToken.lowercased()] = record
        case .deleteIdToken(let idToken):
            tokens[idToken.lowercased()] = nil
        case .recordLocalList(var list):
            guard isRegistered else {
                throw StoreError(.conflict, "local list for a charge point that is not registered")
            }
            list.updatedAt = list.updatedAt.roundedToMilliseconds
            for index in list.entries.indices {
                list.entries[index].expiryDate = list.entries[index].expiryDate?.roundedToMilliseconds
            }
            localLists[list.chargePointId] = list
        default:
            break
        }
    }
}

extension InMemoryStore {
    /// The registry entry of `idToken`, if any.
    public func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord? {
        withIdTokenState { $0.tokens[idToken.lowercased()] }
    }

    /// Registry entries ordered by token (case-insensitively), after `after`, at most `limit`.
    public func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord] {
        guard limit > 0 else { return [] }
        return withIdTokenState { s in
            let keys = s.tokens.keys.filter { key in after.map { key > $0.lowercased() } ?? true }.sorted()
            return keys.prefix(limit).compactMap { s.tokens[$0] }
        }
    }

    /// The local list the station holds, if any.
    public func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState? {
        withIdTokenState { $0.localLists[chargePointId] }
    }
}
