public import Foundation
public import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird app on 127.0.0.1, port 0, for tests that need a real HTTP peer (the
/// external authorizer's webhook, the external CA): `run` answers POSTs to `path` with
/// `handle` while `body` runs, then shuts the server down.
public enum LoopbackHTTPServer {
    /// Runs the server for the length of `body`, which gets the URL of `path`.
    public static func run(
        path: String, label: String,
        handle: @escaping @Sendable (Request) async throws -> Response,
        _ body: (URL) async throws -> Void
    ) async throws {
        let router = Router()
        router.post(RouterPath(path)) { request, _ in try await handle(request) }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let logger = Logger(label: label)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                try await body(URL(string: "http://127.0.0.1:\(port)/\(path)")!)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
