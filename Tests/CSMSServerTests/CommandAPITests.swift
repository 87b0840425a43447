import CSMSCore
import CSMSServer
import Foundation
import HummingbirdWSClient
import OCPP
import Synchronization
import Testing

/// Operator commands through the live server: the API, the engine and a real WebSocket
/// station (our Swift client) that answers the CALLs as each test wants.
@Suite struct CommandAPITests {
    /// One station's view of the connection: reads the CSMS's frames, writes answers.
    struct Station {
        var frames: WebSocketInboundMessageStream.AsyncIterator
        let outbound: WebSocketOutboundWriter

        /// The next text frame, parsed.
        mutating func next() async throws -> JSONValue {
            while let message = try await frames.next() {
                if case .text(let text) = message { return try JSONValue(parsing: text) }
            }
            throw RawHTTP.Failure(description: "connection closed")
        }

        /// The next CALL: (message id, action, payload).
        mutating func nextCall() async throws -> (id: String, action: String, payload: JSONValue) {
            let frame = try await next()
            guard let items = frame.arrayValue, items.count == 4, items[0] == 2, let id = items[1].stringValue,
                let action = items[2].stringValue
            else { throw RawHTTP.Failure(description: "not a CALL: \(frame)") }
            return (id, action, items[3])
        }

        func write(_ text: String) async throws { try await outbound.write(.text(text)) }

        /// Exchanges one Heartbeat so the connection is surely registered.
        mutating func settle() async throws {
            try await write(#"[2,"settle","Heartbeat",{}]"#)
            _ = try await next()
        }
    }

    static func register(_ server: LiveServer, _ id: String) async throws {
        try await server.store.commit([
            .upsertChargePoint(ChargePointUpdate(id: ChargePointID(id)!, registrationStatus: .accepted, at: Date()))
        ])
    }

    /// Runs `body` with a registered, connected station `id`.
    static func withStation(
        _ server: LiveServer, _ id: String, subprotocol: String = "ocpp1.6",
        _ body: @escaping @Sendable (inout Station) async throws -> Void
    ) async throws {
        try await register(server, id)
        try await server.station(id, subprotocols: [subprotocol]) { inbound, outbound in
            var station = Station(frames: inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound: outbound)
            try await station.settle()
            try await body(&station)
        }
    }

    static func json(_ response: RawHTTP.Response) throws -> JSONValue { try JSONValue(parsing: response.body) }

    @Test("an accepted command answers 200 with the response and is recorded Answered")
    func accepted() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C1") { station in
                async let answer = server.api(
                    "POST", "/api/v1/charge-points/CP-C1/commands/Reset", body: #"{"type":"Soft"}"#)
                let call = try await station.nextCall()
                #expect(call.action == "Reset" && call.payload == ["type": "Soft"])
                try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
                let response = try await answer
                #expect(response.status == 200)
                let body = try Self.json(response)
                #expect(body["response"] == ["status": "Accepted"])
                let commandId = try #require(body["commandId"]?.stringValue)

                let record = try Self.json(try await server.api("GET", "/api/v1/commands/\(commandId)"))
                #expect(record["state"] == "Answered")
                #expect(record["messageId"]?.stringValue == call.id)
                #expect(record["sentAt"] != .null && record["completedAt"] != .null)
                let list = try Self.json(try await server.api("GET", "/api/v1/charge-points/CP-C1/commands"))
                #expect(list["items"]?.arrayValue?.first?["commandId"]?.stringValue == commandId)
            }
        }
    }

    @Test("a CALLERROR answers 502 with the station's OCPP error code")
    func callError() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C2") { station in
                async let answer = server.api("POST", "/api/v1/charge-points/CP-C2/commands/ClearCache", body: "{}")
                let call = try await station.nextCall()
                try await station.write(#"[4,"\#(call.id)","NotSupported","not here",{"why":"test"}]"#)
                let response = try await answer
                #expect(response.status == 502)
                let error = try Self.json(response)["error"]
                #expect(error?["code"] == "NotSupported")
                #expect(error?["message"] == "not here")
                #expect(error?["details"] == ["why": "test"])
            }
        }
    }

    @Test("a CALLRESULT breaking its schema fails the command (502 invalid_response)")
    func invalidResponse() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C3") { station in
                async let answer = server.api(
                    "POST", "/api/v1/charge-points/CP-C3/commands/Reset", body: #"{"type":"Hard"}"#)
                let call = try await station.nextCall()
                try await station.write(#"[3,"\#(call.id)",{"status":"Maybe"}]"#)
                let response = try await answer
                #expect(response.status == 502)
                #expect(try Self.json(response)["error"]?["code"] == "invalid_response")
            }
        }
    }

    @Test("request errors: 404 unknown station or action, 409 not connected, 422 invalid payload, 400 bad JSON")
    func requestErrors() async throws {
        try await LiveServer.with { server in
            let unknown = try await server.api("POST", "/api/v1/charge-points/NOPE/commands/Reset", body: "{}")
            #expect(unknown.status == 404)
            try await Self.register(server, "CP-OFF")
            let offline = try await server.api("POST", "/api/v1/charge-points/CP-OFF/commands/Reset", body: "{}")
            #expect(offline.status == 409)
            try await Self.withStation(server, "CP-C4") { station in
                let invalid = try await server.api(
                    "POST", "/api/v1/charge-points/CP-C4/commands/Reset", body: #"{"type":"Sideways","x":1}"#)
                #expect(invalid.status == 422)
                let violations = try Self.json(invalid)["error"]?["details"]?["violations"]?.arrayValue
                #expect(violations?.count == 2)
                // BootNotification is sent by stations only; RequestStartTransaction is 2.x.
                for action in ["BootNotification", "RequestStartTransaction", "NoSuchAction"] {
                    let response = try await server.api(
                        "POST", "/api/v1/charge-points/CP-C4/commands/\(action)", body: "{}")
                    #expect(response.status == 404, "\(action)")
                }
                let badJSON = try await server.api("POST", "/api/v1/charge-points/CP-C4/commands/Reset", body: "{")
                #expect(badJSON.status == 400)
                let badWait = try await server.api(
                    "POST", "/api/v1/charge-points/CP-C4/commands/Reset?wait=maybe", body: #"{"type":"Soft"}"#)
                #expect(badWait.status == 400)
                #expect(try await server.api("GET", "/api/v1/commands/nope").status == 404)
            }
        }
    }

    @Test("one CALL in flight: the second waits Queued until the first is answered, then goes out (FIFO)")
    func oneInFlight() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C5", subprotocol: "ocpp2.0.1") { station in
                let path = "/api/v1/charge-points/CP-C5/commands/Reset?wait=false"
                let first = try await server.api("POST", path, body: #"{"type":"OnIdle"}"#)
                let second = try await server.api("POST", path, body: #"{"type":"Immediate"}"#)
                #expect(first.status == 202 && second.status == 202)
                let secondId = try #require(try Self.json(second)["commandId"]?.stringValue)
                #expect(second.headers["location"] == "/api/v1/commands/\(secondId)")

                let call = try await station.nextCall()
                #expect(call.payload == ["type": "OnIdle"])
                // The second CALL has not been sent: the first is not answered yet.
                let queued = try Self.json(try await server.api("GET", "/api/v1/commands/\(secondId)"))
                #expect(queued["state"] == "Queued" && queued["sentAt"] == .null)

                try await station.write(#"[3,"\#(call.id)",{"status":"Scheduled"}]"#)
                let next = try await station.nextCall()
                #expect(next.payload == ["type": "Immediate"])
                try await station.write(#"[3,"\#(next.id)",{"status":"Accepted"}]"#)
                let done = try await Self.waitFinal(server, secondId)
                #expect(done["state"] == "Answered" && done["response"] == ["status": "Accepted"])
            }
        }
    }

    /// Reads the command until its state is final (the engine records it right after the
    /// answer; a few reads at most).
    static func waitFinal(_ server: LiveServer, _ id: String) async throws -> JSONValue {
        for _ in 0..<200 {
            let record = try json(try await server.api("GET", "/api/v1/commands/\(id)"))
            if let state = record["state"]?.stringValue, !["Queued", "Sent"].contains(state) { return record }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RawHTTP.Failure(description: "command \(id) did not finish")
    }

    @Test("a full queue answers 429; a queued command can be cancelled (DELETE), a sent one cannot")
    func queueFullAndCancel() async throws {
        var configuration = LiveServer.configuration()
        configuration.commandQueueSize = 1
        try await LiveServer.with(configuration) { server in
            try await Self.withStation(server, "CP-C6") { station in
                let path = "/api/v1/charge-points/CP-C6/commands/ClearCache?wait=false"
                let first = try Self.json(try await server.api("POST", path, body: "{}"))
                let second = try Self.json(try await server.api("POST", path, body: "{}"))
                let third = try await server.api("POST", path, body: "{}")
                #expect(third.status == 429)
                #expect(try Self.json(third)["error"]?["code"] == "queue_full")

                let firstId = try #require(first["commandId"]?.stringValue)
                let secondId = try #require(second["commandId"]?.stringValue)
                let call = try await station.nextCall()
                #expect(try await server.api("DELETE", "/api/v1/commands/\(firstId)").status == 409)
                let cancelled = try await server.api("DELETE", "/api/v1/commands/\(secondId)")
                #expect(cancelled.status == 200)
                #expect(try Self.json(cancelled)["state"] == "Cancelled")
                // The slot frees the queue: a new command is taken again.
                #expect(try await server.api("POST", path, body: "{}").status == 202)
                try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
                let next = try await station.nextCall()
                #expect(next.action == "ClearCache")
            }
        }
    }

    @Test("no answer: 504 after the call timeout; the late answer is recorded as late")
    func timeoutAndLate() async throws {
        var configuration = LiveServer.configuration()
        configuration.callTimeout = .seconds(1)
        try await LiveServer.with(configuration) { server in
            try await Self.withStation(server, "CP-C7") { station in
                async let answer = server.api("POST", "/api/v1/charge-points/CP-C7/commands/ClearCache", body: "{}")
                let call = try await station.nextCall()
                let response = try await answer
                #expect(response.status == 504)
                let body = try Self.json(response)
                #expect(body["error"]?["code"] == "timeout")
                let id = try #require(body["commandId"]?.stringValue)
                try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
                // An unknown reply id is ignored, never fatal: the connection keeps working.
                try await station.write(#"[3,"no-such-id",{}]"#)
                try await station.settle()
                var record = JSONValue.null
                for _ in 0..<200 {
                    record = try Self.json(try await server.api("GET", "/api/v1/commands/\(id)"))
                    if record["late"] == true { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(record["state"] == "TimedOut" && record["late"] == true)
                #expect(record["response"] == ["status": "Accepted"])
            }
        }
    }

    @Test("the station disconnecting fails the call in flight and the queued ones (502 station_disconnected)")
    func disconnectMidCall() async throws {
        try await LiveServer.with { server in
            try await Self.register(server, "CP-C8")
            let queuedId = Mutex<String?>(nil)
            try await server.station("CP-C8") { inbound, outbound in
                var station = Station(
                    frames: inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound: outbound)
                try await station.settle()
                let path = "/api/v1/charge-points/CP-C8/commands/ClearCache"
                async let answer = server.api("POST", path, body: "{}")
                _ = try await station.nextCall()
                let queued = try Self.json(try await server.api("POST", path + "?wait=false", body: "{}"))
                queuedId.withLock { $0 = queued["commandId"]?.stringValue }
                try await outbound.close(.normalClosure, reason: "bye")
                let response = try await answer
                #expect(response.status == 502)
                #expect(try Self.json(response)["error"]?["code"] == "station_disconnected")
            }
            let id = try #require(queuedId.withLock { $0 })
            let record = try await Self.waitFinal(server, id)
            #expect(record["state"] == "Failed" && record["sentAt"] == .null)
        }
    }

    @Test("configuration GET/PUT (1.6) run GetConfiguration/ChangeConfiguration and cache values in the shadow")
    func configuration16() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C9") { station in
                async let read = server.api(
                    "GET", "/api/v1/charge-points/CP-C9/configuration?keys=HeartbeatInterval,Nope")
                let get = try await station.nextCall()
                #expect(get.action == "GetConfiguration" && get.payload == ["key": ["HeartbeatInterval", "Nope"]])
                try await station.write(
                    #"[3,"\#(get.id)",{"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"}],"unknownKey":["Nope"]}]"#
                )
                let values = try Self.json(try await read)
                #expect(values["values"] == [["key": "HeartbeatInterval", "value": "300", "readonly": false]])
                #expect(values["unknownKeys"] == ["Nope"])

                async let write = server.api(
                    "PUT", "/api/v1/charge-points/CP-C9/configuration", body: #"{"HeartbeatInterval":"60"}"#)
                let change = try await station.nextCall()
                #expect(change.action == "ChangeConfiguration")
                #expect(change.payload == ["key": "HeartbeatInterval", "value": "60"])
                try await station.write(#"[3,"\#(change.id)",{"status":"Accepted"}]"#)
                let results = try Self.json(try await write)["results"]?.arrayValue
                #expect(results?.first?["status"] == "Accepted")

                let shadow = try Self.json(try await server.api("GET", "/api/v1/charge-points/CP-C9/shadow"))
                #expect(shadow["reported"]?["configuration"] == ["HeartbeatInterval": "60"])
            }
        }
    }

    @Test("configuration (2.0.1) uses GetVariables/SetVariables with Component.Variable keys")
    func configuration201() async throws {
        try await LiveServer.with { server in
            try await Self.withStation(server, "CP-C10", subprotocol: "ocpp2.0.1") { station in
                let missing = try await server.api("GET", "/api/v1/charge-points/CP-C10/configuration")
                #expect(missing.status == 400)
                async let write = server.api(
                    "PUT", "/api/v1/charge-points/CP-C10/configuration",
                    body: #"{"OCPPCommCtrlr.HeartbeatInterval":"120"}"#)
                let set = try await station.nextCall()
                #expect(set.action == "SetVariables")
                #expect(
                    set.payload
                        == [
                            "setVariableData": [
                                [
                                    "attributeValue": "120", "component": ["name": "OCPPCommCtrlr"],
                                    "variable": ["name": "HeartbeatInterval"],
                                ]
                            ]
                        ])
                try await station.write(
                    #"[3,"\#(set.id)",{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}]"#
                )
                let results = try Self.json(try await write)["results"]?.arrayValue
                #expect(results?.first?["key"] == "OCPPCommCtrlr.HeartbeatInterval")
                #expect(results?.first?["status"] == "Accepted")
            }
        }
    }
}
