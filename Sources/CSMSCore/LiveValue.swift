import Synchronization

/// A value that can be replaced while the program runs (configuration reload, docs/configuration.md
/// "Reload"): readers take the current snapshot, a writer swaps in a new one.
///
/// Reads and writes hold a lock for the copy only, so a reader on the hot path (every inbound
/// message) pays a lock and a copy, never an actor hop or a wait on a writer's work. A snapshot,
/// once read, does not change under the reader: a message is handled with one consistent value.
public final class LiveValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    /// A live value starting at `initial`.
    public init(_ initial: Value) {
        storage = Mutex(initial)
    }

    /// The current snapshot.
    public var current: Value {
        storage.withLock { $0 }
    }

    /// Replaces the snapshot; readers after this call see `value`.
    public func update(_ value: Value) {
        storage.withLock { $0 = value }
    }
}
