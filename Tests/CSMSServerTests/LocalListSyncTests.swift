import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import OCPP
import Testing

@Suite("Local list sync through SendLocalList (live server)")
struct LocalListSyncTests {
    typealias Station = CommandAPITests.Station

    @Test("differential update sent, accepted and stored; a second sync is up to date; VersionMismatch -> full")
    func sync() async throws {
        try await RemoteStartAPITests.withStation("CP-LL") { server, station in
            let at = Date()
            try await server.store.commit([
                .upsertIdToken(IdTokenRecord(idToken: "TAG-A", createdAt: at)),
                .upsertIdToken(IdTokenRecord(idToken: "TAG-B", status: .blocked, createdAt: at)),
            ])
            async let answer = server.api("POST", "/api/v1/charge-points/CP-LL/local-list/sync")
            let call = try await station.nextCall()
            #expect(call.action == "SendLocalList")
            #expect(call.payload["listVersion"] == 1)
            let sent = call.payload["localAuthorizationList"]?.arrayValue?.compactMap { $0["idTag"]?.stringValue }
            #expect(Set(sent ?? []) == ["TAG-A", "TAG-B"])
            try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            let response = try await answer
            #expect(response.status == 200)
            let body = try CommandAPITests.json(response)
            #expect(body["status"] == "Accepted" && body["listVersion"] == 1)
            #expect(try await server.store.localList(of: ChargePointID("CP-LL")!)?.version == 1)

            let again = try CommandAPITests.json(
                try await server.api("POST", "/api/v1/charge-points/CP-LL/local-list/sync"))
            #expect(again["status"] == "UpToDate")

            try await server.store.commit([.upsertIdToken(IdTokenRecord(idToken: "TAG-C", createdAt: at))])
            async let mismatch = server.api("POST", "/api/v1/charge-points/CP-LL/local-list/sync")
            let differential = try await station.nextCall()
            #expect(differential.payload["updateType"] == "Differential")
            try await station.write(#"[3,"\#(differential.id)",{"status":"VersionMismatch"}]"#)
            let fullCall = try await station.nextCall()
            #expect(fullCall.payload["updateType"] == "Full")
            try await station.write(#"[3,"\#(fullCall.id)",{"status":"Accepted"}]"#)
            let final = try CommandAPITests.json(try await mismatch)
            #expect(final["status"] == "Accepted" && final["updateType"] == "Full")
            #expect(final["commandIds"]?.arrayValue?.count == 2)
        }
    }

    @Test("unknown or disconnected stations and bad parameters")
    func errors() async throws {
        try await LiveServer.with(realProcessor: ProcessorConfiguration()) { server in
            #expect(try await server.api("POST", "/api/v1/charge-points/NOPE/local-list/sync").status == 404)
            try await server.store.commit([
                .upsertChargePoint(ChargePointUpdate(id: ChargePointID("CP-OFF")!, at: Date()))
            ])
            #expect(try await server.api("POST", "/api/v1/charge-points/CP-OFF/local-list/sync").status == 409)
            #expect(
                try await server.api("POST", "/api/v1/charge-points/CP-OFF/local-list/sync?full=maybe").status == 400)
        }
    }
}
