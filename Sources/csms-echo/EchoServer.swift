import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// `csms-echo`: the transport limit for the benchmarks. The same WebSocket stack as the
/// server (Hummingbird 2 + hummingbird-websocket, same frame size and backlog), no OCPP: it
/// accepts any `/ocpp/{id}` with the first OCPP subprotocol offered and answers every CALL
/// `[2, "id", ...]` at once with the CALLRESULT `[3, "id", {}]`. Nothing is parsed beyond
/// the message id and nothing is stored.
@main
struct EchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csms-echo", abstract: "WebSocket echo server answering every OCPP CALL with {} (benchmarks).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port; see --port-file).")
    var port = 9100

    @Option(help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(help: "Listen backlog.")
    var backlog = 8192

    func run() async throws {
        var logger = Logger(label: "csms-echo")
        logger.logLevel = .warning
        let portFile = self.portFile
        let router = Router(context: BasicRequestContext.self)
        router.get("/health/live") { _, _ in "ok" }
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                configuration: .init(
                    http1: .init(idleTimeout: .seconds(60)),
                    ws: WebSocketServerConfiguration(maxFrameSize: 1 << 18, autoPing: .disabled, validateUTF8: true))
            ) { head, _, _ in
                guard head.path?.hasPrefix("/ocpp/") == true else { return .dontUpgrade }
                let offered = head.headerFields[values: .secWebSocketProtocol]
                    .flatMap { $0.split(separator: ",") }
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard let subprotocol = offered.first(where: { $0.hasPrefix("ocpp") }) else { return .dontUpgrade }
                return .upgrade([.secWebSocketProtocol: subprotocol]) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: 1 << 18) {
                        guard case .text(let text) = message, let answer = Self.answer(to: text) else { continue }
                        try await outbound.write(.text(answer))
                    }
                }
            },
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "csms-echo", backlog: backlog),
            onServerRunning: { channel in
                guard let portFile, let bound = channel.localAddress?.port else { return }
                try? Data("\(bound)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
            },
            logger: logger)
        try await application.runService()
    }

    /// `[3,"id",{}]` for a CALL `[2,"id",...]`; nil for anything else. Reads only the id.
    static func answer(to text: String) -> String? {
        var utf8 = text.utf8[...]
        while let first = utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "[") {
            utf8 = utf8.dropFirst()
        }
        guard utf8.first == UInt8(ascii: "2") else { return nil }
        guard let open = utf8.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let rest = utf8[utf8.index(after: open)...]
        guard let close = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return "[3,\"" + String(decoding: rest[..<close], as: UTF8.self) + "\",{}]"
    }
}
