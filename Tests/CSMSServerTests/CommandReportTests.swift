import CSMSCore
import CSMSServer
import Foundation
import OCPP
import Testing

/// Station reports through the API, the OpenAPI document of the command routes, and the 2.1
/// CALLRESULTERROR for an answer that breaks its schema.
@Suite struct CommandReportTests {
    typealias Station = CommandAPITests.Station

    static func report(_ id: ChargePointID, _ action: String, request: Int?, seq: Int?, tbc: Bool, data: [JSONValue])
        -> StoreWrite
    {
        var payload: JSONObject = ["generatedAt": "2025-01-01T00:00:00.000Z", "reportData": .array(data)]
        if let request { payload["requestId"] = .number(JSONNumber(request)) }
        if let seq { payload["seqNo"] = .number(JSONNumber(seq)) }
        return .addStationReport(
            StationReport(
                chargePointId: id, action: action, protocolVersion: "ocpp2.0.1", messageId: "m\(seq ?? 0)",
                requestId: request, seqNo: seq, tbc: tbc, payload: .object(payload), receivedAt: Date()))
    }

    @Test("reports list by action and request; the device model puts NotifyReport pages together")
    func reportsAndDeviceModel() async throws {
        try await LiveServer.with { server in
            let id = ChargePointID("CP-R1")!
            try await CommandAPITests.register(server, "CP-R1")
            #expect(try await server.api("GET", "/api/v1/charge-points/CP-R1/device-model").status == 404)
            try await server.store.commit([
                Self.report(id, "NotifyReport", request: 3, seq: 1, tbc: false, data: ["b"]),
                Self.report(id, "NotifyEvent", request: nil, seq: 0, tbc: false, data: []),
                Self.report(id, "NotifyReport", request: 3, seq: 0, tbc: true, data: ["a"]),
                Self.report(id, "NotifyReport", request: 4, seq: 0, tbc: true, data: ["c"]),
            ])
            let all = try CommandAPITests.json(try await server.api("GET", "/api/v1/charge-points/CP-R1/reports"))
            #expect(all["items"]?.arrayValue?.count == 4)
            let page = try CommandAPITests.json(
                try await server.api("GET", "/api/v1/charge-points/CP-R1/reports?action=NotifyReport&limit=2"))
            #expect(page["items"]?.arrayValue?.map { $0["seqNo"] } == [1, 0])
            let next = try #require(page["next"]?.integer)
            let rest = try CommandAPITests.json(
                try await server.api("GET", "/api/v1/charge-points/CP-R1/reports?action=NotifyReport&after=\(next)"))
            #expect(rest["items"]?.arrayValue?.map { $0["requestId"] } == [4])

            let model = try CommandAPITests.json(
                try await server.api("GET", "/api/v1/charge-points/CP-R1/device-model?requestId=3"))
            #expect(model["complete"] == true && model["pages"] == 2 && model["reportData"] == ["a", "b"])
            let latest = try CommandAPITests.json(
                try await server.api("GET", "/api/v1/charge-points/CP-R1/device-model"))
            #expect(latest["requestId"] == 4 && latest["complete"] == false)

            #expect(try await server.api("GET", "/api/v1/charge-points/CP-R1/reports?limit=0").status == 400)
            #expect(try await server.api("GET", "/api/v1/charge-points/CP-R1/reports?requestId=x").status == 400)
            #expect(try await server.api("GET", "/api/v1/charge-points/NOPE/reports").status == 404)
        }
    }

    @Test("the OpenAPI document lists the command routes")
    func openAPI() async throws {
        try await LiveServer.with { server in
            let document = try CommandAPITests.json(try await server.api("GET", "/api/v1/openapi.json", token: ""))
            for path in [
                "/api/v1/charge-points/{id}/commands/{action}", "/api/v1/charge-points/{id}/commands",
                "/api/v1/commands/{commandId}", "/api/v1/charge-points/{id}/configuration",
                "/api/v1/charge-points/{id}/reports", "/api/v1/charge-points/{id}/device-model",
            ] {
                #expect(document["paths"]?[path] != nil, "\(path)")
            }
        }
    }

    @Test("2.1: a CALLRESULT breaking its schema is answered with CALLRESULTERROR and the command fails")
    func callResultError21() async throws {
        try await LiveServer.with { server in
            try await CommandAPITests.withStation(server, "CP-R2", subprotocol: "ocpp2.1") { station in
                async let answer = server.api(
                    "POST", "/api/v1/charge-points/CP-R2/commands/Reset", body: #"{"type":"Immediate"}"#)
                let call = try await station.nextCall()
                try await station.write(#"[3,"\#(call.id)",{"status":42}]"#)
                let response = try await answer
                #expect(response.status == 502)
                let frame = try await station.next()
                #expect(frame.arrayValue?.prefix(3) == [5, .string(call.id), "FormatViolation"])
                // A CALLRESULTERROR from the station answers no CALL of ours: ignored, the
                // connection keeps working.
                try await station.write(#"[5,"x","FormatViolation","",{}]"#)
                try await station.settle()
            }
        }
    }

    @Test("wait=false: the command is Sent while the station has not answered")
    func sentState() async throws {
        try await LiveServer.with { server in
            try await CommandAPITests.withStation(server, "CP-R3") { station in
                let accepted = try CommandAPITests.json(
                    try await server.api(
                        "POST", "/api/v1/charge-points/CP-R3/commands/DataTransfer?wait=false",
                        body: #"{"vendorId":"com.acme","data":"x"}"#))
                let id = try #require(accepted["commandId"]?.stringValue)
                let call = try await station.nextCall()
                let record = try CommandAPITests.json(try await server.api("GET", "/api/v1/commands/\(id)"))
                #expect(record["state"] == "Sent" && record["completedAt"] == .null)
                #expect(record["payload"] == ["vendorId": "com.acme", "data": "x"])
                try await station.write(#"[3,"\#(call.id)",{"status":"Accepted","data":"y"}]"#)
                let done = try await CommandAPITests.waitFinal(server, id)
                #expect(done["response"] == ["status": "Accepted", "data": "y"])
            }
        }
    }

    @Test("configuration (2.x) GET: accepted values are returned and cached, the others listed as unknown")
    func getVariables() async throws {
        try await LiveServer.with { server in
            try await CommandAPITests.withStation(server, "CP-R4", subprotocol: "ocpp2.0.1") { station in
                async let read = server.api(
                    "GET", "/api/v1/charge-points/CP-R4/configuration?keys=OCPPCommCtrlr.HeartbeatInterval,X.Y")
                let get = try await station.nextCall()
                #expect(get.action == "GetVariables")
                #expect(get.payload["getVariableData"]?.arrayValue?.count == 2)
                try await station.write(
                    #"[3,"\#(get.id)",{"getVariableResult":[{"attributeStatus":"Accepted","attributeValue":"30","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}},{"attributeStatus":"UnknownComponent","component":{"name":"X"},"variable":{"name":"Y"}}]}]"#
                )
                let body = try CommandAPITests.json(try await read)
                #expect(body["values"] == [["key": "OCPPCommCtrlr.HeartbeatInterval", "value": "30"]])
                #expect(body["unknownKeys"] == [["key": "X.Y", "status": "UnknownComponent"]])
                let shadow = try CommandAPITests.json(try await server.api("GET", "/api/v1/charge-points/CP-R4/shadow"))
                #expect(shadow["reported"]?["configuration"] == ["OCPPCommCtrlr.HeartbeatInterval": "30"])
                let badKey = try await server.api("GET", "/api/v1/charge-points/CP-R4/configuration?keys=NoDot")
                #expect(badKey.status == 400)
            }
        }
    }

    @Test("configuration (1.6) PUT: a rejected key is not cached; bad bodies are 400; a CALLERROR is 502")
    func changeConfigurationRejected() async throws {
        try await LiveServer.with { server in
            try await CommandAPITests.withStation(server, "CP-R5") { station in
                for body in ["[]", "{}", #"{"a":1}"#] {
                    let response = try await server.api("PUT", "/api/v1/charge-points/CP-R5/configuration", body: body)
                    #expect(response.status == 400, "\(body)")
                }
                async let write = server.api(
                    "PUT", "/api/v1/charge-points/CP-R5/configuration", body: #"{"Locked":"true"}"#)
                let change = try await station.nextCall()
                try await station.write(#"[3,"\#(change.id)",{"status":"Rejected"}]"#)
                let results = try CommandAPITests.json(try await write)["results"]?.arrayValue
                #expect(results?.first?["status"] == "Rejected")
                let shadow = try CommandAPITests.json(try await server.api("GET", "/api/v1/charge-points/CP-R5/shadow"))
                #expect(shadow["reported"]?["configuration"] == nil)

                async let read = server.api("GET", "/api/v1/charge-points/CP-R5/configuration")
                let get = try await station.nextCall()
                #expect(get.payload == [:])
                try await station.write(#"[4,"\#(get.id)","InternalError","broken",{}]"#)
                let failed = try await read
                #expect(failed.status == 502)
                #expect(try CommandAPITests.json(failed)["error"]?["code"] == "InternalError")
            }
        }
    }
}

extension JSONValue {
    fileprivate var integer: Int? {
        guard case .number(let n) = self else { return nil }
        return n.integralValue
    }
}
