import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP WebSocket client that completes the opening handshake and then does nothing at
/// all: it sends no frame and answers no ping (a half-open or hung station). Blocking socket
/// calls run on threads of their own, never on the cooperative pool.
final class RawWebSocket: Sendable {
    let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Connects to `path`, offers `subprotocol` and reads the 101 answer's head.
    static func open(port: Int, path: String, subprotocol: String = "ocpp1.6") async throws -> RawWebSocket {
        try await onThread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw RawHTTP.Failure(description: "socket() failed") }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
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
            guard connected == 0 else {
                Glibc.close(fd)
                throw RawHTTP.Failure(description: "connect() failed")
            }
            var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
            head += "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            head += "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \(subprotocol)\r\n\r\n"
            let bytes = Array(head.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            // Read byte by byte up to the end of the head, so that no frame is consumed.
            var received: [UInt8] = []
            var byte: UInt8 = 0
            while !received.ends(with: [13, 10, 13, 10]) {
                guard recv(fd, &byte, 1, 0) == 1 else {
                    Glibc.close(fd)
                    throw RawHTTP.Failure(description: "no handshake answer")
                }
                received.append(byte)
            }
            guard String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
                Glibc.close(fd)
                throw RawHTTP.Failure(description: "not upgraded: \(String(decoding: received, as: UTF8.self))")
            }
            return RawWebSocket(fd: fd)
        }
    }

    /// Reads what the server sent until it closes the connection (`closed` true) or
    /// `seconds` pass.
    func drain(seconds: Int = 5) async -> (bytes: [UInt8], closed: Bool) {
        let fd = self.fd
        return
            (try? await Self.onThread {
                var timeout = timeval(tv_sec: seconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n == 0 { return (received, true) }
                    if n < 0 { return (received, errno == ECONNRESET) }
                    received += buffer[0..<n]
                }
            }) ?? ([], false)
    }

    /// Closes the socket.
    func close() { Glibc.close(fd) }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
