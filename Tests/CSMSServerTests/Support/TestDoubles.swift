import CSMSCore
import CSMSProcessor
import Foundation
import OCPP
import Synchronization

/// A minimal in-memory `CSMSStore` for the server tests (the project's `InMemoryStore` in
/// `CSMSTesting` replaces it once that lands).
final class TestStore: CSMSStore {
    private struct State {
        var chargePoints: [ChargePointID: ChargePoint] = [:]
        var connectors: [ChargePointID: [ConnectorStatus]] = [:]
        var reachable = true
    }

    private let state = Mutex(State())

    func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        try state.withLock { (state: inout State) throws(StoreError) in
            guard state.reachable else { throw StoreError(.unavailable, "test store unreachable") }
            for write in writes {
                switch write {
                case .upsertChargePoint(let update):
                    var cp =
                        state.chargePoints[update.id]
                        ?? ChargePoint(id: update.id, createdAt: update.at, updatedAt: update.at)
                    if let hash = update.passwordHash { cp.passwordHash = hash }
                    if let status = update.registrationStatus { cp.registrationStatus = status }
                    cp.updatedAt = update.at
                    cp.stateVersion += 1
                    state.chargePoints[update.id] = cp
                case .recordConnectorStatus(let status):
                    var list = state.connectors[status.chargePointId] ?? []
                    list.removeAll { $0.evseId == status.evseId && $0.connectorId == status.connectorId }
                    list.append(status)
                    state.connectors[status.chargePointId] = list
                default:
                    break
                }
            }
        }
    }

    func setReachable(_ reachable: Bool) { state.withLock { $0.reachable = reachable } }

    func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try check()
        return state.withLock { $0.chargePoints[id] }
    }

    func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        try check()
        return state.withLock { state in
            state.chargePoints.values.sorted { $0.id < $1.id }.filter { after == nil || $0.id > after! }
                .prefix(limit).map { $0 }
        }
    }

    func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try check()
        return state.withLock { $0.connectors[id] ?? [] }
    }

    func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] { [] }

    func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError) -> StoredResponse? {
        nil
    }

    func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int { 0 }

    func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError) -> [DeadLetter]
    {
        []
    }

    func isReachable() async -> Bool { state.withLock { $0.reachable } }

    private func check() throws(StoreError) {
        if !state.withLock({ $0.reachable }) { throw StoreError(.unavailable, "test store unreachable") }
    }
}

/// A processor double: answers every CALL with `[3, id, {"echo": action, "n": index}]`,
/// where `index` counts the frames of the session, and records what it saw.
final class EchoProcessor: InboundMessageHandling {
    private let seen = Mutex<[(ChargePointID, String)]>([])

    func handle(_ frame: [UInt8], session: StationSession) async -> InboundResult {
        let index = seen.withLock { list in
            list.append((session.chargePointId, String(decoding: frame, as: UTF8.self)))
            return list.count
        }
        do {
            switch try RPCFrame.decode(frame, version: session.version) {
            case .call(let call):
                let payload: JSONValue = ["echo": .string(call.action), "n": .number(JSONNumber(index))]
                return .reply(RPCFrame.callResult(RPCCallResult(messageId: call.messageId, payload: payload)).encoded())
            case let reply:
                return .outboundReply(reply)
            }
        } catch {
            if case .callError(let answer) = error.response { return .reply(RPCFrame.callError(answer).encoded()) }
            return .none
        }
    }

    /// The frames seen, as text, in order.
    var frames: [String] { seen.withLock { $0.map(\.1) } }
}
