public import CSMSCore
import Synchronization

/// The live station connections of this node, one per charge point id.
///
/// A new connection of a charge point that is already connected is registered only in place
/// of the one the caller expects (after deciding by `sessions.duplicatePolicy` that the old
/// one goes, see `OCPPWebSocketEndpoint.admit`); the caller closes the old. Once draining has
/// begun (graceful shutdown) no connection is registered any more. It also counts open
/// connections per remote address (`limits.connectionsPerIP`).
public final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ChargePointID: StationConnection] = [:]
        var draining = false
        var addresses: [String: Int] = [:]
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
        /// Not registered: the charge point has another connection, which the caller did not
        /// expect to replace.
        case occupied(by: StationConnection)
    }

    /// Adds `connection` as the charge point's current connection when it has none, or when
    /// its current one is `expected` (which is then replaced).
    public func register(_ connection: StationConnection, replacing expected: StationConnection? = nil)
        -> Registration
    {
        state.withLock { state in
            guard !state.draining else { return .draining }
            let id = connection.session.chargePointId
            let current = state.connections[id]
            if let current, current !== expected { return .occupied(by: current) }
            state.connections[id] = connection
            return .registered(replaced: current)
        }
    }

    /// Counts one more connection from `address`; `false` (nothing counted) when it already
    /// has `limit`.
    public func acquireAddress(_ address: String, limit: Int) -> Bool {
        state.withLock { state in
            let open = state.addresses[address, default: 0]
            guard open < limit else { return false }
            state.addresses[address] = open + 1
            return true
        }
    }

    /// Counts one connection from `address` less.
    public func releaseAddress(_ address: String) {
        state.withLock { state in
            let open = state.addresses[address, default: 0] - 1
            state.addresses[address] = open > 0 ? open : nil
        }
    }

    /// Every open connection.
    public var all: [StationConnection] { state.withLock { Array($0.connections.values) } }

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
