import CSMSCore
import Logging
import OCPP

/// Pipeline step: commits the writes the inner steps produced (the handler's writes, the
/// stored answer, dead letters) in one `commit`, and lets the answer out only after it
/// returned (invariant 1: acknowledged means durable).
///
/// A failed commit turns the answer into `InternalError`; the message is then kept as a dead
/// letter (`commit_failed`) in a second commit, and if even that fails it is logged
/// (invariant 7). A SEND that was refused cannot be answered, so it is kept as a dead letter
/// (`send_rejected`) instead.
struct CommitStep: CallStep {
    let store: any CSMSStore

    func process(_ call: InboundCall, next: CallChain) async -> CallOutcome {
        var outcome = await next(call)
        if !call.expectsReply, case .error(let error) = outcome.answer, !outcome.writes.contains(where: \.isDeadLetter)
        {
            outcome.writes.append(
                .addDeadLetter(
                    call.deadLetter(reason: "send_rejected", error: "\(error.code.rawValue): \(error.description)")))
        }
        guard !outcome.writes.isEmpty else { return outcome }
        do {
            try await store.commit(outcome.writes)
            return outcome
        } catch {
            call.logger.error("commit failed", metadata: ["error": "\(error)"])
            let failure = CallOutcome.internalFailure(call, reason: "commit_failed", error: "\(error)")
            do {
                try await store.commit(failure.writes)
            } catch {
                call.logger.critical(
                    "dead letter could not be stored; the message is lost",
                    metadata: ["error": "\(error)", "raw_frame_bytes": "\(call.rawFrame.count)"])
            }
            return CallOutcome(answer: failure.answer, writes: [])
        }
    }
}

extension StoreWrite {
    /// Whether this write adds a dead letter.
    var isDeadLetter: Bool {
        if case .addDeadLetter = self { return true }
        return false
    }
}
