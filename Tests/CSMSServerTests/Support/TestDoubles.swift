import CSMSCore
import CSMSProcessor
import CSMSTesting
import Foundation
import OCPP
import Synchronization

/// The project's `InMemoryStore` with a switch that makes it unreachable (readiness and
/// error-mapping tests): while off, every call fails with `StoreError.unavailable`.
final class TestStore: CSMSStore {
    let store = InMemoryStore()
    private let reachable = Mutex(true)

    func setReachable(_ value: Bool) { reachable.withLock { $0 = value } }

    func check() throws(StoreError) {
        if !reachable.withLock({ $0 }) { throw StoreError(.unavailable, "test store switched off") }
    }

    func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        try check()
        try await store.commit(writes)
    }

    func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try check()
        return try await store.chargePoint(id)
    }

    func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        try check()
        return try await store.chargePoints(after: after, limit: limit)
    }

    func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try check()
        return try await store.connectorStatuses(of: id)
    }

    func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        try check()
        return try await store.statusHistory(of: id, limit: limit)
    }

    func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError) -> StoredResponse? {
        try check()
        return try await store.storedResponse(chargePointId: chargePointId, messageId: messageId)
    }

    func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        try check()
        return try await store.pruneStoredResponses(olderThan: date)
    }

    func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int? {
        try check()
        return try await store.securityProfile(of: id)
    }

    func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]
    {
        try check()
        return try await store.securityEvents(chargePointId: chargePointId, after: after, limit: limit)
    }

    func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate] {
        try check()
        return try await store.stationCertificates(of: id)
    }

    func apiTokens() async throws(StoreError) -> [APITokenRecord] {
        try check()
        return try await store.apiTokens()
    }

    func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError) -> [DeadLetter]
    {
        try check()
        return try await store.deadLetters(chargePointId: chargePointId, after: after, limit: limit)
    }

    func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        try check()
        return try await store.messageLog(chargePointId: chargePointId, action: action, after: after, limit: limit)
    }

    func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        try await store.pruneMessageLog(olderThan: date, maxPerStation: maxPerStation)
    }

    func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter? {
        try check()
        return try await store.deadLetter(id: id)
    }

    func isReachable() async -> Bool {
        guard reachable.withLock({ $0 }) else { return false }
        return await store.isReachable()
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

    /// The echo processor keeps no dead letters to replay.
    func replay(_ letter: DeadLetter) async -> DeadLetterReplayOutcome {
        .failed(error: "the echo processor does not replay")
    }

    /// The frames seen, as text, in order.
    var frames: [String] { seen.withLock { $0.map(\.1) } }
}
