import CSMSCore
import CSMSTesting
import Foundation
import Hummingbird
import Logging
import OCPP
import ServiceLifecycle
import Synchronization

/// A real HTTP server (Hummingbird on 127.0.0.1, port 0) playing the external authorizer:
/// `POST /authorize` answers according to `mode`, records every request body and the most
/// requests it held at once.
final class FakeWebhook: Sendable {
    enum Mode: Sendable {
        /// 200 with `{"status": status, ...extra}` after `delay`.
        case answer(String, extra: JSONObject = [:], delay: Duration = .zero)
        /// The status code, with an empty body.
        case failure(Int)
        /// 200 with a body that is not JSON.
        case garbage
    }

    private struct State {
        var mode: Mode = .answer("Accepted")
        var bodies: [JSONValue] = []
        var inFlight = 0
        var peak = 0
    }

    private let state = Mutex(State())

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Every request body received, in order.
    var bodies: [JSONValue] { state.withLock { $0.bodies } }
    /// How many requests were received.
    var requestCount: Int { state.withLock { $0.bodies.count } }
    /// The most requests in progress at once.
    var peakConcurrency: Int { state.withLock { $0.peak } }

    private func handle(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let mode = state.withLock { s in
            s.bodies.append((try? JSONValue(parsing: Array(buffer: body))) ?? .null)
            s.inFlight += 1
            s.peak = max(s.peak, s.inFlight)
            return s.mode
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        switch mode {
        case .answer(let status, let extra, let delay):
            if delay > .zero { try? await Task.sleep(for: delay) }
            var object = extra
            object["status"] = .string(status)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(object).serialized())))
        case .failure(let code):
            return Response(status: HTTPResponse.Status(code: code))
        case .garbage:
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }
    }

    /// Runs the server for the length of `body`, which gets the URL.
    func run(_ body: (URL) async throws -> Void) async throws {
        try await LoopbackHTTPServer.run(
            path: "authorize", label: "fake-webhook", handle: { try await self.handle($0) }, body)
    }
}

/// A clock the test moves by hand (for the breaker's cool-down and the cache's TTL).
final class ManualClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let start = ContinuousClock.now

    var now: @Sendable () -> ContinuousClock.Instant {
        { [self] in start.advanced(by: offset.withLock { $0 }) }
    }

    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
}
