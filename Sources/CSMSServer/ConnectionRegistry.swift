public import CSMSCore
import Synchronization

/// The live station connections of this node, one per charge point id.
///
/// A new connection of a charge point that is already connected replaces the old one (the
/// station reconnected, or its old TCP connection is half-dead); the caller closes the old.
/// Once draining has begun (graceful shutdown) no connection is registered any more.
public final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ChargePointID: StationConnection] = [:]
        var draining = false
    }

    private let state = Mutex(State())

    /// An empty registry.
    public init() {}

    /// The outcome of `register(_:)`.
    public enum Registration: Sendable {
        /// Registered; `replaced` is the previous connection of the same charge point, which
        /// the caller must close.
        case registered(replaced: StationConnection?)
        /// Refused: the server is shutting down.
        case draining
    }

    /// Adds `connection` as the charge point's current connection.
    public func register(_ connection: StationConnection) -> Registration {
        state.withLock { state in
            guard !state.draining else { return .draining }
            let previous = state.connections.updateValue(connection, forKey: connection.session.chargePointId)
            return .registered(replaced: previous)
        }
    }

    /// Removes `connection`, if it is still the charge point's current one (a replaced
    /// connection that ends later must not remove its successor).
    public func unregister(_ connection: StationConnection) {
        state.withLock { state in
            let id = connection.session.chargePointId
            if state.connections[id] === connection { state.connections[id] = nil }
        }
    }

    /// The current connection of `id`.
    public func connection(for id: ChargePointID) -> StationConnection? {
        state.withLock { $0.connections[id] }
    }

    /// How many stations are connected.
    public var count: Int { state.withLock { $0.connections.count } }

    /// Stops registering connections and returns the ones that are open now (to be closed).
    public func beginDraining() -> [StationConnection] {
        state.withLock { state in
            state.draining = true
            return Array(state.connections.values)
        }
    }

    /// Whether `beginDraining()` was called.
    public var isDraining: Bool { state.withLock { $0.draining } }
}
