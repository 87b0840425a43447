public import CSMSCore
import Foundation
import OCPP
import Testing

extension StoreConformance {
    /// A command record of `id` created at `at` (checks are registered in `checks`).
    static func command(_ id: ChargePointID, _ n: Int, at: Date) -> CommandRecord {
        CommandRecord(
            id: "cmd-\(n)", chargePointId: id, action: "Reset", protocolVersion: "ocpp1.6", messageId: "msg-\(n)",
            payload: ["type": "Soft"], createdAt: at)
    }

    /// A record comes back as stored (JSON payload, response and error included); a write of
    /// a lower state rank (a late `Sent` after `Answered`) leaves it unchanged, while a final
    /// state may replace a final state (a late answer marks a timed-out command).
    public static func commandRecordRoundTripsAndOnlyMovesForward(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-CMD")
        #expect(try await store.command("cmd-1") == nil)
        var record = command(a, 1, at: t(1))
        try await store.commit([.saveCommand(record)])
        #expect(try await store.command("cmd-1") == record)

        var sent = record
        sent.state = .sent
        sent.sentAt = t(2)
        record.state = .answered
        record.sentAt = t(2)
        record.completedAt = t(3)
        record.response = ["status": "Accepted", "nested": ["list": [1, 2.5, true, nil]]]
        try await store.commit([.saveCommand(record), .saveCommand(sent)])
        #expect(try await store.command("cmd-1") == record)

        var timedOut = command(a, 2, at: t(4))
        timedOut.state = .timedOut
        timedOut.completedAt = t(5)
        timedOut.error = CommandRecord.errorValue(code: "timeout", message: "no answer")
        try await store.commit([.saveCommand(timedOut)])
        timedOut.late = true
        timedOut.response = ["status": "Rejected"]
        try await store.commit([.saveCommand(timedOut)])
        #expect(try await store.command("cmd-2") == timedOut)
    }

    /// A station's commands list newest first, `before` pages back, other stations' are not
    /// listed.
    public static func commandsListNewestFirstWithCursor(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-CMD-A")
        let b = cp("CP-CMD-B")
        try await store.commit((1...4).map { .saveCommand(command(a, $0, at: t(Double($0)))) })
        try await store.commit([.saveCommand(command(b, 9, at: t(2)))])
        #expect(
            try await store.commands(of: a, before: nil, limit: 10).map(\.id) == ["cmd-4", "cmd-3", "cmd-2", "cmd-1"])
        #expect(try await store.commands(of: a, before: nil, limit: 2).map(\.id) == ["cmd-4", "cmd-3"])
        #expect(try await store.commands(of: a, before: t(3), limit: 10).map(\.id) == ["cmd-2", "cmd-1"])
        #expect(try await store.commands(of: b, before: nil, limit: 10).map(\.id) == ["cmd-9"])
        #expect(try await store.commands(of: a, before: nil, limit: 0).isEmpty)
    }

    /// Reports get increasing ids and filter by station, action and request id.
    public static func stationReportsFilterAndPage(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-REP-A")
        let b = cp("CP-REP-B")
        func report(_ id: ChargePointID, _ action: String, request: Int?, seq: Int?, tbc: Bool) -> StationReport {
            StationReport(
                id: 77, chargePointId: id, action: action, protocolVersion: "ocpp2.0.1", messageId: "m",
                requestId: request, seqNo: seq, tbc: tbc, payload: ["seqNo": .number(JSONNumber(seq ?? 0))],
                receivedAt: t(1))
        }
        try await store.commit([
            .addStationReport(report(a, "NotifyReport", request: 1, seq: 0, tbc: true)),
            .addStationReport(report(a, "NotifyEvent", request: nil, seq: 0, tbc: false)),
            .addStationReport(report(b, "NotifyReport", request: 1, seq: 0, tbc: false)),
            .addStationReport(report(a, "NotifyReport", request: 1, seq: 1, tbc: false)),
            .addStationReport(report(a, "NotifyReport", request: 2, seq: 0, tbc: false)),
        ])
        let all = try await store.stationReports(of: a, action: nil, requestId: nil, after: nil, limit: 10)
        #expect(all.count == 4)
        let ids = all.compactMap(\.id)
        #expect(ids == ids.sorted() && Set(ids).count == 4 && !ids.contains(77))
        let pages = try await store.stationReports(of: a, action: "NotifyReport", requestId: 1, after: nil, limit: 10)
        #expect(pages.map(\.seqNo) == [0, 1])
        #expect(pages.map(\.tbc) == [true, false])
        #expect(pages.first?.payload == ["seqNo": 0])
        #expect(pages.first?.receivedAt == t(1))
        let next = try await store.stationReports(of: a, action: nil, requestId: nil, after: ids[1], limit: 1)
        #expect(next.map(\.id) == [ids[2]])
        #expect(
            try await store.stationReports(of: b, action: "NotifyEvent", requestId: nil, after: nil, limit: 5).isEmpty)
    }

    /// Values upsert by station and key; a `nil` readonly keeps the known one.
    public static func configurationValuesUpsertByKey(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-CONF-A")
        let b = cp("CP-CONF-B")
        try await store.commit([
            .saveConfigurationValues([
                ConfigurationValue(chargePointId: a, key: "b", value: "1", readonly: true, updatedAt: t(1)),
                ConfigurationValue(chargePointId: a, key: "a", value: nil, readonly: false, updatedAt: t(1)),
                ConfigurationValue(chargePointId: b, key: "a", value: "x", updatedAt: t(1)),
            ])
        ])
        try await store.commit([
            .saveConfigurationValues([ConfigurationValue(chargePointId: a, key: "b", value: "2", updatedAt: t(2))])
        ])
        let values = try await store.configurationValues(of: a)
        #expect(values.map(\.key) == ["a", "b"])
        #expect(
            values[1] == ConfigurationValue(chargePointId: a, key: "b", value: "2", readonly: true, updatedAt: t(2)))
        #expect(values[0].value == nil && values[0].readonly == false)
        #expect(try await store.configurationValues(of: b).map(\.value) == ["x"])
    }
}
