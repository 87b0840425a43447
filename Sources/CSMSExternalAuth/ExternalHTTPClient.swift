import AsyncHTTPClient
import NIOCore

/// The HTTP client of a component that calls an external service (the webhook authorizer,
/// the external CA): the one it was given, or one of its own that retries no connection,
/// follows no redirect and gives up connecting after `timeout`, closed by `shutdown()`.
struct ExternalHTTPClient: Sendable {
    let client: HTTPClient
    private let owned: Bool

    /// `given`, or an own client; `connectionsPerHost` caps its pool's connections to one host.
    init(given: HTTPClient?, timeout: Duration, connectionsPerHost: Int? = nil) {
        if let given {
            client = given
            owned = false
            return
        }
        var http = HTTPClient.Configuration()
        if let connectionsPerHost {
            http.connectionPool = .init(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        }
        http.connectionPool.retryConnectionEstablishment = false
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: TimeAmount(timeout))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        owned = true
    }

    /// Closes the client if it is its own (not one it was given).
    func shutdown() async throws {
        if owned { try await client.shutdown() }
    }
}
