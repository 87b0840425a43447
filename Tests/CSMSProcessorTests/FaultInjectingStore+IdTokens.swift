import CSMSCore
import CSMSTesting

extension FaultInjectingStore {
    func idToken(_ idToken: String) async throws(StoreError) -> IdTokenRecord? {
        try checkRead()
        return try await base.idToken(idToken)
    }

    func idTokens(after: String?, limit: Int) async throws(StoreError) -> [IdTokenRecord] {
        try checkRead()
        return try await base.idTokens(after: after, limit: limit)
    }

    func localList(of chargePointId: ChargePointID) async throws(StoreError) -> LocalListState? {
        try checkRead()
        return try await base.localList(of: chargePointId)
    }
}
