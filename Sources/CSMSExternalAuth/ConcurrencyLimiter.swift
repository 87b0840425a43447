import Synchronization

/// An async semaphore: at most `limit` holders at once; further callers wait in arrival
/// order. Waiting ends with `CancellationError` when the waiting task is cancelled (the
/// external authorizer cancels it at its timeout), so no caller waits longer than it wants.
final class ConcurrencyLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled: Set<UInt64> = []
        var nextId: UInt64 = 0
    }

    private enum Enqueue {
        case acquired
        case queued
        case cancelled
    }

    private let state: Mutex<State>

    /// A limiter admitting `limit` holders (at least one).
    init(limit: Int) { state = Mutex(State(available: max(1, limit))) }

    /// Waits for a slot; throws `CancellationError` when cancelled first. Every successful
    /// `acquire` must be followed by one `release`.
    func acquire() async throws {
        let id = state.withLock { s in
            s.nextId += 1
            return s.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Enqueue in
                    if s.cancelled.remove(id) != nil { return .cancelled }
                    if s.available > 0 {
                        s.available -= 1
                        return .acquired
                    }
                    s.waiters.append((id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let index = s.waiters.firstIndex(where: { $0.id == id }) {
                    return s.waiters.remove(at: index).continuation
                }
                s.cancelled.insert(id)  // not queued yet: the enqueue sees it
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
        // A cancellation that came after the slot was acquired leaves `id` behind; forget it.
        _ = state.withLock { $0.cancelled.remove(id) }
    }

    /// Frees a slot: the longest waiting caller gets it.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
