import CSMSCore
import CSMSServer
import Foundation
import Testing

@Suite("Id token API (live server)")
struct IdTokenAPITests {
    private func errorCode(_ response: RawHTTP.Response) throws -> String? {
        (try response.json()["error"] as? [String: Any])?["code"] as? String
    }

    @Test("PUT adds (201) then replaces (200); GET shows every member; DELETE removes")
    func putGetDelete() async throws {
        try await LiveServer.with { server in
            let body = #"""
                {"status":"Accepted","type":"ISO14443","expiryDate":"2030-01-01T00:00:00Z","groupIdToken":"FLEET-1",
                 "chargePointIds":["CP-1","CP-2"],"evseIds":[1],"language":"de","personalMessage":"Hallo","external":false}
                """#
            let created = try await server.api("PUT", "/api/v1/id-tokens/04A1B2C3", body: body)
            #expect(created.status == 201)
            #expect(created.headers["location"] == "/api/v1/id-tokens/04A1B2C3")
            let json = try created.json()
            #expect(json["idToken"] as? String == "04A1B2C3")
            #expect(json["type"] as? String == "ISO14443")
            #expect(json["expiryDate"] as? String == "2030-01-01T00:00:00.000Z")
            #expect(json["chargePointIds"] as? [String] == ["CP-1", "CP-2"])
            #expect(json["evseIds"] as? [Int] == [1])
            #expect(json["external"] as? Bool == false)

            let replaced = try await server.api("PUT", "/api/v1/id-tokens/04A1B2C3", body: #"{"status":"Blocked"}"#)
            #expect(replaced.status == 200)
            let detail = try await server.api("GET", "/api/v1/id-tokens/04A1B2C3")
            #expect(try detail.json()["status"] as? String == "Blocked")
            #expect(try detail.json()["type"] is NSNull)
            #expect(try detail.json()["chargePointIds"] is NSNull)

            let stored = try #require(try await server.store.idToken("04A1B2C3"))
            #expect(stored.status == .blocked)

            #expect(try await server.api("DELETE", "/api/v1/id-tokens/04A1B2C3").status == 204)
            #expect(try await server.api("GET", "/api/v1/id-tokens/04A1B2C3").status == 404)
            let again = try await server.api("DELETE", "/api/v1/id-tokens/04A1B2C3")
            #expect(again.status == 404)
            #expect(try errorCode(again) == "not_found")
        }
    }

    @Test("invalid bodies and tokens are refused with a message naming the member")
    func validation() async throws {
        try await LiveServer.with { server in
            let cases: [(String, String)] = [
                (#"{}"#, "status is required"),
                (#"{"status":"Fine"}"#, "status must be"),
                (#"{"status":"Accepted","type":"Barcode"}"#, "type must be"),
                (#"{"status":"Accepted","expiryDate":"2030-01-01"}"#, "expiryDate"),
                (#"{"status":"Accepted","chargePointIds":["bad id"]}"#, "chargePointIds"),
                (#"{"status":"Accepted","evseIds":[0]}"#, "evseIds"),
                (#"{"status":"Accepted","language":"much-too-long"}"#, "language"),
                (#"{"status":"Accepted","external":"yes"}"#, "external"),
                (#"{"status":"Accepted","colour":"red"}"#, "unknown member 'colour'"),
                (#"["Accepted"]"#, "JSON object"),
                (#"{"status":"#, "not valid JSON"),
            ]
            for (body, message) in cases {
                let response = try await server.api("PUT", "/api/v1/id-tokens/TAG", body: body)
                #expect(response.status == 400, "\(body)")
                let text = (try response.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(text.contains(message), "\(body): \(text)")
            }
            let tooLong = String(repeating: "X", count: 256)
            #expect(
                try await server.api("PUT", "/api/v1/id-tokens/\(tooLong)", body: #"{"status":"Accepted"}"#).status
                    == 400)
            #expect(try await server.api("GET", "/api/v1/id-tokens/A%20B").status == 400)
            #expect(try await server.store.idToken("TAG") == nil)
        }
    }

    @Test("the list pages with an opaque cursor")
    func listPages() async throws {
        try await LiveServer.with { server in
            for token in ["C", "A", "B", "D", "E"] {
                _ = try await server.api("PUT", "/api/v1/id-tokens/\(token)", body: #"{"status":"Accepted"}"#)
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/api/v1/id-tokens?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await server.api("GET", path)
                #expect(page.status == 200)
                let json = try page.json()
                seen += (json["items"] as? [[String: Any]] ?? []).compactMap { $0["idToken"] as? String }
                cursor = json["next"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ["A", "B", "C", "D", "E"])
            #expect(pages == 3)
            #expect(try await server.api("GET", "/api/v1/id-tokens?cursor=***").status == 400)
            #expect(try await server.api("GET", "/api/v1/id-tokens?limit=0").status == 400)
            #expect(try await server.api("GET", "/api/v1/id-tokens", token: "").status == 401)
        }
    }

    @Test("the OpenAPI document describes the id token routes")
    func openAPIDocument() async throws {
        try await LiveServer.with { server in
            let document = try await server.api("GET", "/api/v1/openapi.json", token: "").json()
            let paths = document["paths"] as? [String: Any]
            for path in ["/api/v1/id-tokens", "/api/v1/id-tokens/{idToken}", "/api/v1/charge-points/{id}/local-list"] {
                #expect(paths?[path] != nil, "\(path)")
            }
        }
    }

    @Test("the local list view shows the held version and the pending update")
    func localListView() async throws {
        try await LiveServer.with { server in
            #expect(try await server.api("GET", "/api/v1/charge-points/CP-L/local-list").status == 404)
            _ = try await server.api("PUT", "/api/v1/charge-points/CP-L", body: #"{"registrationStatus":"Accepted"}"#)
            _ = try await server.api("PUT", "/api/v1/id-tokens/A", body: #"{"status":"Accepted"}"#)
            _ = try await server.api(
                "PUT", "/api/v1/id-tokens/B", body: #"{"status":"Accepted","chargePointIds":["CP-OTHER"]}"#)
            let first = try await server.api("GET", "/api/v1/charge-points/CP-L/local-list")
            #expect(first.status == 200)
            let json = try first.json()
            #expect(json["version"] as? Int == 0)
            let pending = try #require(json["pending"] as? [String: Any])
            #expect(pending["updateType"] as? String == "Full")
            #expect(pending["upserts"] as? Int == 1)

            let held = LocalListState(
                chargePointId: ChargePointID("CP-L")!, version: 3,
                entries: [LocalListEntry(idToken: "A", status: .accepted)], updatedAt: Date())
            try await server.store.commit([.recordLocalList(held)])
            let synced = try await server.api("GET", "/api/v1/charge-points/CP-L/local-list")
            #expect(try synced.json()["version"] as? Int == 3)
            #expect(try synced.json()["pending"] is NSNull)
        }
    }
}

@Suite("Id token CSV import")
struct IdTokenCSVTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func readsQuotedFieldsListsAndBlankLines() throws {
        let text =
            "\u{FEFF}idToken,status,type,chargePointIds,evseIds,personalMessage,external\r\n"
            + "TAG-1,Accepted,ISO14443,CP-1;CP-2,1;2,\"Hello, \"\"driver\"\"\nline two\",true\r\n"
            + "\n"
            + "TAG-2,Blocked,,,,,\n"
        let records = try IdTokenCSV.records(from: text, at: now).get()
        #expect(records.count == 2)
        #expect(records[0].chargePointIds == [ChargePointID("CP-1")!, ChargePointID("CP-2")!])
        #expect(records[0].evseIds == [1, 2])
        #expect(records[0].personalMessage == "Hello, \"driver\"\nline two")
        #expect(records[0].external)
        #expect(records[1] == IdTokenRecord(idToken: "TAG-2", status: .blocked, createdAt: now))
    }

    @Test func reportsEveryBadRowWithItsLine() {
        let text = "idToken,status\nA,Accepted\nB,Maybe\na,Blocked\nC\n,Accepted\n"  // "a" is "A" again
        guard case .failure(let failure) = IdTokenCSV.records(from: text, at: now) else {
            Issue.record("the file should be refused")
            return
        }
        let errors = failure.rows
        #expect(errors.map(\.line) == [3, 4, 5, 6])
        #expect(errors[1].message.contains("twice"))
        #expect(errors[2].description.hasPrefix("line 5: expected 2 fields"))
    }

    @Test func headerProblems() {
        for text in ["", "idToken,colour\n", "status\n", "idToken,status,status\n"] {
            guard case .failure(let failure) = IdTokenCSV.records(from: text, at: now) else {
                Issue.record("'\(text)' should be refused")
                continue
            }
            #expect(!failure.rows.isEmpty && failure.rows.allSatisfy { $0.line == 1 })
        }
    }
}
