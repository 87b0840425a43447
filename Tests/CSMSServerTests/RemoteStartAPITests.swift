import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import OCPP
import Testing

/// Remote start and stop through the live server with the production message processor: our
/// WebSocket client plays a 1.6 or a 2.0.1 station that answers the CALLs and sends the
/// transaction messages the processor stores (docs/commands.md "Remote start and stop").
@Suite("Remote start and stop (live server)")
struct RemoteStartAPITests {
    typealias Station = CommandAPITests.Station

    static func now() -> String { OCPPDateTime(Date()).text }

    /// Runs `body` on a live server with the real processor and a connected station `id`.
    static func withStation(
        _ id: String, subprotocol: String = "ocpp1.6",
        _ body: @escaping @Sendable (LiveServer, inout Station) async throws -> Void
    ) async throws {
        try await LiveServer.with(realProcessor: ProcessorConfiguration()) { server in
            try await CommandAPITests.withStation(server, id, subprotocol: subprotocol) { station in
                let boot: JSONValue =
                    subprotocol == "ocpp1.6"
                    ? ["chargePointVendor": "Swift", "chargePointModel": "Test"]
                    : ["chargingStation": ["model": "Test", "vendorName": "Swift"], "reason": "PowerUp"]
                let answer = try await call(&station, "boot", "BootNotification", boot)
                #expect(answer["status"] == "Accepted")
                try await body(server, &station)
            }
        }
    }

    /// Sends a CALL from the station and returns the CALLRESULT payload.
    static func call(_ station: inout Station, _ id: String, _ action: String, _ payload: JSONValue) async throws
        -> JSONValue
    {
        try await station.write(
            String(decoding: JSONValue.array([2, .string(id), .string(action), payload]).serialized(), as: UTF8.self))
        let reply = try await station.next()
        guard let items = reply.arrayValue, items.count == 3, items[0] == 3, items[1] == .string(id) else {
            throw RawHTTP.Failure(description: "not the CALLRESULT of \(id): \(reply)")
        }
        return items[2]
    }

    /// A 1.6 StartTransaction; returns the transaction id the CSMS assigned.
    static func start16(_ station: inout Station, _ messageId: String, connector: Int, tag: String, meter: Int)
        async throws -> Int
    {
        let answer = try await call(
            &station, messageId, "StartTransaction",
            [
                "connectorId": .number(JSONNumber(connector)), "idTag": .string(tag),
                "meterStart": .number(JSONNumber(meter)), "timestamp": .string(now()),
            ])
        return try #require(
            answer["transactionId"].flatMap { if case .number(let n) = $0 { n.integralValue } else { nil } })
    }

    @Test(
        "1.6: accepted, then StartTransaction -> 200 with its id (not an earlier one); remote stop waits for the stop")
    func accepted16() async throws {
        try await Self.withStation("CP-RS16") { server, station in
            // A transaction with the same tag on the same connector before the command does not count.
            let earlier = try await Self.start16(&station, "s-0", connector: 1, tag: "TAG-1", meter: 0)
            async let answer = server.api(
                "POST", "/api/v1/charge-points/CP-RS16/remote-start",
                body: #"{"connectorId": 1, "idToken": "TAG-1", "waitForTransaction": 20}"#)
            let call = try await station.nextCall()
            #expect(call.action == "RemoteStartTransaction")
            #expect(call.payload == ["connectorId": 1, "idTag": "TAG-1"])
            try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            let started = try await Self.start16(&station, "s-1", connector: 1, tag: "TAG-1", meter: 100)
            #expect(started != earlier)
            let response = try await answer
            #expect(response.status == 200)
            let body = try CommandAPITests.json(response)
            #expect(body["status"] == "Accepted")
            #expect(body["transactionId"] == .string(String(started)))
            #expect(body["remoteStartId"] == nil)
            let commandId = try #require(body["commandId"]?.stringValue)
            let record = try CommandAPITests.json(try await server.api("GET", "/api/v1/commands/\(commandId)"))
            #expect(record["action"] == "RemoteStartTransaction" && record["state"] == "Answered")

            async let stopped = server.api(
                "POST", "/api/v1/charge-points/CP-RS16/remote-stop",
                body: #"{"transactionId": \#(started), "waitForStop": 20}"#)
            let stopCall = try await station.nextCall()
            #expect(stopCall.action == "RemoteStopTransaction")
            #expect(stopCall.payload == ["transactionId": .number(JSONNumber(started))])
            try await station.write(#"[3,"\#(stopCall.id)",{"status":"Accepted"}]"#)
            _ = try await Self.call(
                &station, "s-2", "StopTransaction",
                [
                    "transactionId": .number(JSONNumber(started)), "meterStop": 1100, "timestamp": .string(Self.now()),
                    "reason": "Remote",
                ])
            let stopResponse = try await stopped
            #expect(stopResponse.status == 200)
            let stopBody = try CommandAPITests.json(stopResponse)
            #expect(stopBody["status"] == "Accepted" && stopBody["stopped"] == true)
            #expect(stopBody["transaction"]?["energyWh"] == 1000)
            #expect(stopBody["transaction"]?["stopReason"] == "Remote")
            #expect(stopBody["transaction"]?["status"] == "Completed")
        }
    }

    @Test("1.6: accepted but no StartTransaction in time -> 202 with transactionId null and waiting timeout")
    func acceptedNeverStarts16() async throws {
        try await Self.withStation("CP-RS16-T") { server, station in
            async let answer = server.api(
                "POST", "/api/v1/charge-points/CP-RS16-T/remote-start",
                body: #"{"connectorId": 2, "idToken": "TAG-2", "waitForTransaction": 1}"#)
            let call = try await station.nextCall()
            try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            // A start on another connector is not the one the command asked for.
            _ = try await Self.start16(&station, "s-1", connector: 1, tag: "TAG-2", meter: 0)
            let response = try await answer
            #expect(response.status == 202)
            let body = try CommandAPITests.json(response)
            #expect(body["status"] == "Accepted" && body["transactionId"] == .null && body["waiting"] == "timeout")
        }
    }

    @Test("1.6: rejected -> 200 Rejected without waiting; stop rejected -> 200 Rejected")
    func rejected16() async throws {
        try await Self.withStation("CP-RS16-R") { server, station in
            async let answer = server.api(
                "POST", "/api/v1/charge-points/CP-RS16-R/remote-start",
                body: #"{"idToken": "TAG-3", "waitForTransaction": 300}"#)
            let call = try await station.nextCall()
            #expect(call.payload == ["idTag": "TAG-3"])
            try await station.write(#"[3,"\#(call.id)",{"status":"Rejected"}]"#)
            let response = try await answer
            #expect(response.status == 200)
            let body = try CommandAPITests.json(response)
            #expect(body["status"] == "Rejected" && body["transactionId"] == .null && body["waiting"] == nil)

            async let stop = server.api(
                "POST", "/api/v1/charge-points/CP-RS16-R/remote-stop", body: #"{"transactionId": "77"}"#)
            let stopCall = try await station.nextCall()
            #expect(stopCall.payload == ["transactionId": 77])
            try await station.write(#"[3,"\#(stopCall.id)",{"status":"Rejected"}]"#)
            let stopBody = try CommandAPITests.json(try await stop)
            #expect(stopBody["status"] == "Rejected" && stopBody["transactionId"] == "77")
        }
    }

    @Test(
        "2.0.1 / 2.1: accepted, TransactionEvent with the remoteStartId -> 200 with its id; stop waits for Ended",
        arguments: ["ocpp2.0.1", "ocpp2.1"])
    func accepted2x(subprotocol: String) async throws {
        try await Self.withStation("CP-RS2", subprotocol: subprotocol) { server, station in
            async let answer = server.api(
                "POST", "/api/v1/charge-points/CP-RS2/remote-start",
                body: #"{"evseId": 1, "idToken": "TOKEN-1", "waitForTransaction": 20}"#)
            let call = try await station.nextCall()
            #expect(call.action == "RequestStartTransaction")
            let remoteStartId = try #require(call.payload["remoteStartId"])
            #expect(call.payload["idToken"] == ["idToken": "TOKEN-1", "type": "Central"])
            #expect(call.payload["evseId"] == 1)
            try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            // Another transaction on the station (no remoteStartId) is not the one.
            for (id, rsid) in [("TX-OTHER", nil), ("TX-RS", remoteStartId)] as [(String, JSONValue?)] {
                var info: JSONObject = ["transactionId": .string(id)]
                if let rsid { info["remoteStartId"] = rsid }
                _ = try await Self.call(
                    &station, "e-\(id)", "TransactionEvent",
                    [
                        "eventType": "Started", "timestamp": .string(Self.now()), "triggerReason": "RemoteStart",
                        "seqNo": 0, "transactionInfo": .object(info), "evse": ["id": 1, "connectorId": 1],
                        "idToken": ["idToken": "TOKEN-1", "type": "Central"],
                    ])
            }
            let response = try await answer
            #expect(response.status == 200)
            let body = try CommandAPITests.json(response)
            #expect(body["status"] == "Accepted" && body["transactionId"] == "TX-RS")
            #expect(body["remoteStartId"] == remoteStartId)

            async let stopped = server.api(
                "POST", "/api/v1/charge-points/CP-RS2/remote-stop",
                body: #"{"transactionId": "TX-RS", "waitForStop": 20}"#)
            let stopCall = try await station.nextCall()
            #expect(stopCall.action == "RequestStopTransaction" && stopCall.payload == ["transactionId": "TX-RS"])
            try await station.write(#"[3,"\#(stopCall.id)",{"status":"Accepted"}]"#)
            _ = try await Self.call(
                &station, "e-end", "TransactionEvent",
                [
                    "eventType": "Ended", "timestamp": .string(Self.now()), "triggerReason": "RemoteStop", "seqNo": 1,
                    "transactionInfo": ["transactionId": "TX-RS", "stoppedReason": "Remote"],
                ])
            let stopBody = try CommandAPITests.json(try await stopped)
            #expect(stopBody["stopped"] == true && stopBody["transaction"]?["stopReason"] == "Remote")
        }
    }

    @Test("2.0.1: ids are fresh per request; a transactionId in the answer is returned at once; rejected; no wait")
    func answers201() async throws {
        try await Self.withStation("CP-RS2-B", subprotocol: "ocpp2.0.1") { server, station in
            let path = "/api/v1/charge-points/CP-RS2-B/remote-start"
            async let known = server.api("POST", path, body: #"{"idToken": "T", "idTokenType": "ISO14443"}"#)
            let first = try await station.nextCall()
            #expect(first.payload["idToken"] == ["idToken": "T", "type": "ISO14443"])
            try await station.write(#"[3,"\#(first.id)",{"status":"Accepted","transactionId":"TX-RUNNING"}]"#)
            let knownBody = try CommandAPITests.json(try await known)
            #expect(knownBody["transactionId"] == "TX-RUNNING")

            async let rejected = server.api("POST", path, body: #"{"idToken": "T"}"#)
            let second = try await station.nextCall()
            #expect(second.payload["remoteStartId"] != first.payload["remoteStartId"])
            try await station.write(#"[3,"\#(second.id)",{"status":"Rejected"}]"#)
            let rejectedResponse = try await rejected
            #expect(rejectedResponse.status == 200)
            let rejectedBody = try CommandAPITests.json(rejectedResponse)
            #expect(
                rejectedBody["status"] == "Rejected" && rejectedBody["remoteStartId"] == second.payload["remoteStartId"]
            )

            async let noWait = server.api("POST", path, body: #"{"idToken": "T", "waitForTransaction": 0}"#)
            let third = try await station.nextCall()
            try await station.write(#"[3,"\#(third.id)",{"status":"Accepted"}]"#)
            let noWaitResponse = try await noWait
            #expect(noWaitResponse.status == 202)
            #expect(try CommandAPITests.json(noWaitResponse)["waiting"] == "notRequested")
        }
    }

    @Test("errors: 400 invalid body, 422 schema, 404 unknown station, 409 not connected, 502 CALLERROR")
    func errors() async throws {
        try await Self.withStation("CP-RS-E") { server, station in
            let path = "/api/v1/charge-points/CP-RS-E/remote-start"
            for body in [
                #"{"connectorId": 1}"#, #"{"evseId": 1, "idToken": "T"}"#,
                #"{"idToken": "T", "waitForTransaction": 301}"#,
                #"{"idToken": "T", "connectorId": "1"}"#, #"[1]"#, #"{"idToken": "T", "idTokenType": "Central"}"#,
            ] {
                #expect(try await server.api("POST", path, body: body).status == 400, "\(body)")
            }
            let stopPath = "/api/v1/charge-points/CP-RS-E/remote-stop"
            for body in [#"{}"#, #"{"transactionId": "abc"}"#, #"{"transactionId": 1, "waitForStop": -1}"#] {
                #expect(try await server.api("POST", stopPath, body: body).status == 400, "\(body)")
            }
            let tooLong = String(repeating: "X", count: 21)
            #expect(try await server.api("POST", path, body: #"{"idToken": "\#(tooLong)"}"#).status == 422)
            #expect(
                try await server.api("POST", "/api/v1/charge-points/CP-NOPE/remote-start", body: #"{"idToken": "T"}"#)
                    .status == 404)
            try await CommandAPITests.register(server, "CP-RS-OFF")
            #expect(
                try await server.api(
                    "POST", "/api/v1/charge-points/CP-RS-OFF/remote-stop", body: #"{"transactionId": 1}"#
                )
                .status == 409)

            async let failed = server.api("POST", path, body: #"{"idToken": "T"}"#)
            let call = try await station.nextCall()
            try await station.write(#"[4,"\#(call.id)","NotSupported","no remote start",{}]"#)
            let failedResponse = try await failed
            #expect(failedResponse.status == 502)
            #expect(try CommandAPITests.json(failedResponse)["error"]?["code"] == "NotSupported")
        }
    }

    @Test("the OpenAPI document describes remote start and stop")
    func openAPI() async throws {
        try await LiveServer.with { server in
            let document = try CommandAPITests.json(try await server.api("GET", "/api/v1/openapi.json", token: ""))
            for path in ["/api/v1/charge-points/{id}/remote-start", "/api/v1/charge-points/{id}/remote-stop"] {
                #expect(document["paths"]?[path]?["post"] != nil, "\(path)")
            }
            #expect(document["components"]?["schemas"]?["RemoteStartAnswer"] != nil)
        }
    }
}
