import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny blocking HTTP/1.1 client over a loopback TCP socket, for tests that must see raw
/// response headers (the WebSocket handshake) or call the API without another dependency.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A parsed response: status, headers (names lower-cased) and the bytes after the head.
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw Failure(description: "body is not a JSON object: \(bodyText)")
            }
            return object
        }
    }

    /// Sends an API request with `Connection: close` and reads the whole response.
    static func request(
        port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: String? = nil
    ) async throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        head += "\r\n" + (body ?? "")
        return try await exchange(port: port, request: head) { _ in false }
    }

    /// Sends a WebSocket opening handshake for `path` offering `subprotocols`, and reads the
    /// response; with `awaitFrame`, after a 101 also the server's first frame.
    static func webSocketHandshake(
        port: Int, path: String, subprotocols: [String]?, authorization: String? = nil,
        extraHeaders: [String: String] = [:], awaitFrame: Bool = false
    ) async throws -> Response {
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let subprotocols { head += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n" }
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return try await exchange(port: port, request: head) { response in
            // Done once a 101 and one complete unmasked server frame (< 126 bytes) are in.
            guard response.status == 101 else { return false }
            guard awaitFrame else { return true }
            guard response.body.count >= 2 else { return false }
            return response.body.count >= 2 + Int(response.body[1] & 0x7F)
        }
    }

    /// Runs `exchangeBlocking` on a thread of its own: blocking socket calls on the
    /// cooperative pool (two threads on a two-core machine) would starve the server under test.
    private static func exchange(
        port: Int, request: String, isComplete: @escaping @Sendable (Response) -> Bool
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result { try exchangeBlocking(port: port, request: request, isComplete: isComplete) })
            }
            thread.start()
        }
    }

    /// Writes `request`, then reads until the peer closes, `isComplete` says so, or 5 s pass.
    private static func exchangeBlocking(
        port: Int, request: String, isComplete: (Response) -> Bool
    ) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect() failed") }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw Failure(description: "send() failed")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let response = parse(received), isComplete(response) { return response }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        guard let response = parse(received) else {
            throw Failure(description: "no HTTP response (\(received.count) bytes)")
        }
        return response
    }

    private static func parse(_ bytes: [UInt8]) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            return nil
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { return nil }
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }
}
