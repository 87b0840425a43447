import Foundation

/// The client side of the WebSocket opening handshake as OCPP-J uses it (RFC 6455 §4.1;
/// OCPP-J 1.6 §3 and 2.0.1 Part 4 §3: the path ends with the station id, the subprotocol
/// names the OCPP version, HTTP Basic authentication for security profiles 1 and 2).
public enum WebSocketHandshake {
    /// The request head, ending with the empty line.
    public static func request(
        host: String, port: Int, path: String, subprotocol: String, key: [UInt8], basicAuth: (String, String)? = nil
    ) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        request += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        request += "Sec-WebSocket-Key: \(Data(key).base64EncodedString())\r\n"
        request += "Sec-WebSocket-Protocol: \(subprotocol)\r\n"
        if let (user, password) = basicAuth {
            request += "Authorization: Basic \(Data("\(user):\(password)".utf8).base64EncodedString())\r\n"
        }
        return request + "\r\n"
    }

    /// Checks a response head (without the empty line): nil when it is `101` and selects
    /// `subprotocol`, else the reason (`handshake HTTP 400`, `subprotocol not accepted`).
    public static func refusal(head: String, subprotocol: String) -> String? {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 101 else { return "handshake HTTP \(status)" }
        let accepted = lines.dropFirst().contains { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "sec-websocket-protocol"
                && parts[1].trimmingCharacters(in: .whitespaces) == subprotocol
        }
        return accepted ? nil : "subprotocol not accepted"
    }
}
