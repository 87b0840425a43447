import CSMSCore
import CSMSServer
import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOWebSocket
import OCPP
import Testing

@Suite("OCPP WebSocket endpoint (live server, real clients)")
struct WebSocketEndpointTests {
    @Test("the first offered subprotocol the server has enabled wins; compression is negotiated")
    func subprotocolNegotiation() async throws {
        var configuration = LiveServer.configuration()
        configuration.ocppVersions = [.v16, .v201, .v21]  // ocpp2.0 switched off
        try await LiveServer.with(configuration) { server in
            let first = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP1", subprotocols: ["ocpp9", "ocpp2.0.1", "ocpp1.6"])
            #expect(first.status == 101)
            #expect(first.headers["sec-websocket-protocol"] == "ocpp2.0.1")

            let disabledSkipped = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP2", subprotocols: ["ocpp2.0", "ocpp2.1"])
            #expect(disabledSkipped.headers["sec-websocket-protocol"] == "ocpp2.1")

            let compressed = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP3", subprotocols: ["ocpp1.6"],
                extraHeaders: ["Sec-WebSocket-Extensions": "permessage-deflate"])
            #expect(compressed.headers["sec-websocket-extensions"]?.hasPrefix("permessage-deflate") == true)
        }
    }

    @Test(
        "no acceptable subprotocol: handshake completed without the header, then closed with 1002",
        arguments: [["ocpp2.0"], ["wamp", "ocpp1.5"], nil])
    func noAcceptableSubprotocol(offered: [String]?) async throws {
        var configuration = LiveServer.configuration()
        configuration.ocppVersions = [.v16, .v201]
        try await LiveServer.with(configuration) { server in
            let response = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP1", subprotocols: offered, awaitFrame: true)
            #expect(response.status == 101)
            #expect(response.headers["sec-websocket-protocol"] == nil)
            // Close frame: FIN + opcode 8, then the status code 1002 (0x03EA).
            #expect(response.body.count >= 4)
            #expect(response.body.first == 0x88)
            #expect(Array(response.body.dropFirst(2).prefix(2)) == [0x03, 0xEA])
            #expect(server.registry.count == 0)
        }
    }

    @Test("invalid ids and foreign paths are refused before the upgrade")
    func invalidIds() async throws {
        try await LiveServer.with { server in
            for path in ["/ocpp/bad%20id", "/ocpp/" + String(repeating: "x", count: 49), "/ocpp/a/b", "/elsewhere/CP1"]
            {
                let response = try await RawHTTP.webSocketHandshake(
                    port: server.port, path: path, subprotocols: ["ocpp1.6"])
                #expect(response.status == 400, "\(path)")
            }
            let decoded = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP%2D9", subprotocols: ["ocpp1.6"])
            #expect(decoded.status == 101)
        }
    }

    @Test(
        "frames reach the processor one at a time, in order, with the connection's logger; answers come back; the API sees the session"
    )
    func messagesInOrder() async throws {
        try await LiveServer.with { server in
            let close = try await server.station("CP-ORDER", subprotocols: ["ocpp2.0.1"]) { inbound, outbound in
                for i in 1...5 { try await outbound.write(.text(#"[2,"m\#(i)","Heartbeat",{}]"#)) }
                var replies: [String] = []
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { replies.append(text) }
                    if replies.count == 5 { break }
                }
                for (i, reply) in replies.enumerated() {
                    #expect(reply == #"[3,"m\#(i + 1)",{"echo":"Heartbeat","n":\#(i + 1)}]"#)
                }
                let view = try await server.api("GET", "/api/v1/charge-points/CP-ORDER")
                #expect(view.status == 404)  // not registered: the echo processor stores nothing
                #expect(server.registry.connection(for: ChargePointID("CP-ORDER")!)?.session.version == .v201)
            }
            #expect(close?.closeCode == .normalClosure)
            #expect(server.processor.frames.count == 5)
            // The connection hands its logger, with the station's metadata, to the processor.
            #expect(server.processor.loggerStations == Array(repeating: "CP-ORDER", count: 5))
        }
    }

    @Test("a compressed connection works end to end")
    func compressedRoundTrip() async throws {
        try await LiveServer.with { server in
            var headers = HTTPFields()
            headers[.secWebSocketProtocol] = "ocpp1.6"
            let payload = String(repeating: "A", count: 2000)
            try await WebSocketClient.connect(
                url: server.url("CP-Z"),
                configuration: .init(additionalHeaders: headers, extensions: [.perMessageDeflate()]),
                logger: Logger(label: "test-station")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(#"[2,"z1","DataTransfer",{"data":"\#(payload)"}]"#))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { #expect(text.hasPrefix(#"[3,"z1","#)) }
                    break
                }
            }
        }
    }

    @Test("a message over the size limit closes the connection with 1009", arguments: [false, true])
    func oversizeMessage(fragmented: Bool) async throws {
        var configuration = LiveServer.configuration()
        configuration.webSocket.maxMessageSize = 1024
        try await LiveServer.with(configuration) { server in
            let close = try await server.station("CP-BIG") { inbound, outbound in
                let big = #"[2,"b","DataTransfer",{"data":""# + String(repeating: "x", count: 1500) + #""}]"#
                if fragmented {
                    let bytes = Array(big.utf8)
                    try await outbound.withTextMessageWriter { writer in
                        try await writer(String(decoding: bytes[..<800], as: UTF8.self))
                        try await writer(String(decoding: bytes[800...], as: UTF8.self))
                    }
                } else {
                    try await outbound.write(.text(big))
                }
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .messageTooLarge)
            #expect(server.processor.frames.isEmpty)
        }
    }

    @Test("profile 1: a charge point with a password must present it with Basic auth")
    func basicAuthentication() async throws {
        try await LiveServer.with { server in
            let put = try await server.api(
                "PUT", "/api/v1/charge-points/CP-PW", body: #"{"password":"0123456789abcdef"}"#)
            #expect(put.status == 201)
            func handshake(_ authorization: String?) async throws -> Int {
                try await RawHTTP.webSocketHandshake(
                    port: server.port, path: "/ocpp/CP-PW", subprotocols: ["ocpp1.6"], authorization: authorization
                ).status
            }
            func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }
            #expect(try await handshake(nil) == 401)
            #expect(try await handshake(basic("CP-PW:wrong-password")) == 401)
            #expect(try await handshake(basic("CP-OTHER:0123456789abcdef")) == 401)
            #expect(try await handshake(basic("CP-PW:0123456789abcdef")) == 101)
            // A charge point without a password connects without credentials.
            #expect(
                try await RawHTTP.webSocketHandshake(
                    port: server.port, path: "/ocpp/CP-FREE", subprotocols: ["ocpp1.6"]
                ).status
                    == 101)
        }
    }

    @Test("a second connection replaces a first one that does not answer the ping (sessions.duplicatePolicy)")
    func replacement() async throws {
        var configuration = LiveServer.configuration()
        configuration.reliability.duplicatePingTimeout = .milliseconds(300)
        try await LiveServer.with(configuration) { server in
            // The first client reads nothing while the second connects, so it cannot answer
            // the server's ping: under `refuse-new` it counts as gone and is replaced (an
            // answering one would keep its session: ReliabilityTests.duplicateWithOldAlive).
            let first = try await server.station("CP-TWICE") { inbound, _ in
                let second = try await server.station("CP-TWICE") { _, _ in }
                #expect(second?.closeCode == .normalClosure)
                for try await _ in inbound {}
            }
            #expect(first?.closeCode == .normalClosure)
        }
    }
}
