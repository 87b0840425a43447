import CSMSCore
import Foundation
import Logging
import OCPP
import Synchronization

/// Pipeline step: until the station's stored `bootStatus` is `accepted`, every CALL (or SEND)
/// other than BootNotification is refused with `SecurityError` (OCPP 2.0.1 B02.FR.09,
/// B03.FR.07; 1.6 §4.2: no other request before an accepted boot).
///
/// The state is read from the store, so it survives restarts; it is cached per session
/// and forgotten whenever a BootNotification passes. The commit step outside this one
/// commits the boot before the answer leaves, and a station's messages are handled one at
/// a time, so the next message reads the committed answer of that boot.
struct RegistrationGate: CallStep {
    /// The action that is always let through (same name in every version).
    static let bootAction = "BootNotification"

    let store: any CSMSStore
    let cache: RegistrationGateCache

    func enter(_ call: inout InboundCall) async -> CallOutcome? {
        if call.call.action == Self.bootAction { return nil }
        guard let accepted = cache.isAccepted(call.session) else { return await readAndDecide(call) }
        return accepted ? nil : Self.notAccepted(call)
    }

    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome {
        if call.call.action == Self.bootAction { cache.forget(call.session) }
        return outcome
    }

    /// `enter` on a cache miss: reads whether the station is accepted, caches it for the
    /// session and decides. Not inlined into `enter`: its locals would enlarge the async frame
    /// every message allocates.
    @inline(never)
    private func readAndDecide(_ call: InboundCall) async -> CallOutcome? {
        let accepted: Bool
        do {
            accepted = try await store.chargePoint(call.session.chargePointId)?.bootStatus == .accepted
        } catch {
            call.logger.error("registration state could not be read", metadata: ["error": "\(error)"])
            return .internalFailure(call, reason: "store_error", error: "\(error)")
        }
        cache.set(call.session, accepted: accepted)
        return accepted ? nil : Self.notAccepted(call)
    }

    /// The answer to a CALL before an accepted boot.
    private static func notAccepted(_ call: InboundCall) -> CallOutcome {
        .error(
            .securityError, "the charging station is not accepted: a BootNotification must be accepted first",
            messageId: call.call.messageId)
    }
}

/// The registration gate's per-session memory: for each charge point, the session the entry
/// was read in and whether the station was accepted. An entry of another session is not
/// used (a new connection reads the store again, as another node may have handled a boot).
/// At most one entry per charge point.
final class RegistrationGateCache: Sendable {
    private struct Entry {
        let sessionId: UUID
        let accepted: Bool
    }

    private let entries = Mutex<[ChargePointID: Entry]>([:])

    /// The cached decision for this session, if any.
    func isAccepted(_ session: StationSession) -> Bool? {
        entries.withLock { entries in
            guard let entry = entries[session.chargePointId], entry.sessionId == session.sessionId else { return nil }
            return entry.accepted
        }
    }

    /// Remembers the decision for this session.
    func set(_ session: StationSession, accepted: Bool) {
        entries.withLock { $0[session.chargePointId] = Entry(sessionId: session.sessionId, accepted: accepted) }
    }

    /// Forgets the station's entry (after a BootNotification).
    func forget(_ session: StationSession) {
        _ = entries.withLock { $0.removeValue(forKey: session.chargePointId) }
    }
}
