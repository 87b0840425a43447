import CSMSCore
import CSMSTesting

extension TestStore {
    func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord? {
        try check()
        return try await store.idToken(idToken)
    }

    func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord] {
        try check()
        return try await store.idTokens(after: after, limit: limit)
    }

    func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState? {
        try check()
        return try await store.localList(of: chargePointId)
    }
}
