import CSMSCore
import CSMSProcessor
import CSMSTesting
import Foundation
import Logging
import OCPP
import Synchronization

/// The project's `InMemoryStore` with a switch that makes it unreachable (readiness and
/// error-mapping tests): while off, every call fails with `StoreError.unavailable`.
final class TestStore: ForwardingStore, @unchecked Sendable {
    private let reachable = Mutex(true)

    init() { super.init(base: InMemoryStore()) }

    func setReachable(_ value: Bool) { reachable.withLock { $0 = value } }

    override func checkRead() throws(StoreError) {
        if !reachable.withLock({ $0 }) { throw StoreError(.unavailable, "test store switched off") }
    }

    override func checkCommit(_ writes: [StoreWrite]) throws(StoreError) { try checkRead() }
}

/// A processor double: answers every CALL with `[3, id, {"echo": action, "n": index}]`,
/// where `index` counts the frames of the session, and records what it saw.
final class EchoProcessor: InboundMessageHandling {
    private let seen = Mutex<[(ChargePointID, String)]>([])
    private let loggedStations = Mutex<[String]>([])

    func handle(_ frame: [UInt8], session: StationSession, logger: Logger) async -> InboundResult {
        let index = seen.withLock { list in
            list.append((session.chargePointId, String(decoding: frame, as: UTF8.self)))
            return list.count
        }
        loggedStations.withLock { $0.append(logger[metadataKey: LogKey.chargePointId]?.description ?? "") }
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
    /// The `LogKey.chargePointId` of the logger each frame came with, in order.
    var loggerStations: [String] { loggedStations.withLock { $0 } }
}
