import CSMSCore
import CSMSServer
import Foundation
import Logging
import NIOWebSocket
import Synchronization
import Testing

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    private struct Failure: Error, CustomStringConvertible {
        var description: String { "test failure" }
    }

    @Test("one object per line: time, level, message, logger, metadata, error")
    func lineFormat() throws {
        let lines = Mutex<[String]>([])
        let fixed = Date(timeIntervalSince1970: 1_800_000_000.25)
        var logger = Logger(label: "csms") { label in
            JSONLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } }, clock: { fixed })
        }
        logger[metadataKey: "ocpp.charge_point_id"] = "CP-1"
        logger.info(
            "frame \"handled\"\n",
            metadata: ["ocpp.message_id": "m1", "nested": ["a": "1"], "list": ["x", "y"]])
        logger.error("failed", error: Failure())
        logger.debug("below the level")

        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { !$0.contains("\n") })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(first["time"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(first["level"] as? String == "info")
        #expect(first["message"] as? String == "frame \"handled\"\n")
        #expect(first["logger"] as? String == "csms")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["ocpp.charge_point_id"] as? String == "CP-1")
        #expect(metadata["ocpp.message_id"] as? String == "m1")
        #expect((metadata["nested"] as? [String: Any])?["a"] as? String == "1")
        #expect(metadata["list"] as? [String] == ["x", "y"])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(written[1].utf8)) as? [String: Any])
        #expect(second["error"] as? String == "test failure")
        #expect(second["metadata"] != nil)
    }

    @Test("connection lines carry the station's metadata")
    func connectionMetadata() async throws {
        try await LiveServer.with { server in
            try await server.station("CP-LOG", subprotocols: ["ocpp2.0.1"]) { _, _ in }
            let connected = server.logLines.objects().first { $0["message"] as? String == "station connected" }
            let metadata = try #require(connected?["metadata"] as? [String: Any])
            #expect(metadata["ocpp.charge_point_id"] as? String == "CP-LOG")
            #expect(metadata["ocpp.version"] as? String == "2.0.1")
            #expect(metadata["ocpp.session_id"] is String)
            #expect(metadata["net.peer.address"] as? String == "127.0.0.1")
        }
    }
}

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test("SIGTERM-style shutdown closes station connections with 1001 and the server returns")
    func closesWithGoingAway() async throws {
        try await LiveServer.with { server in
            try await withThrowingTaskGroup(of: WebSocketErrorCode?.self) { group in
                for id in ["CP-S1", "CP-S2"] {
                    group.addTask {
                        try await server.station(id) { inbound, _ in
                            for try await _ in inbound {}
                        }?.closeCode
                    }
                }
                let deadline = ContinuousClock.now.advanced(by: .seconds(10))
                while server.registry.count < 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(server.registry.count == 2)
                await server.shutdown()
                for try await code in group { #expect(code == .goingAway) }
            }
            // A connection leaves the registry when its handler returns, which can be just
            // after the client has seen the close frame.
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while server.registry.count > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(server.registry.count == 0)
            #expect(server.logLines.all.contains { $0.contains("shutting down") })
        }
    }
}
