import CSMSLoadKit
import Foundation
import OCPP
import OCPP16
import OCPP201
import Testing

@Suite("csms-load: arrival schedules")
struct ArrivalScheduleTests {
    @Test("open-loop arrivals are due at start + k / rate, whatever was taken before")
    func dueTimes() {
        var schedule = ArrivalSchedule(start: 1_000, ratePerSecond: 4)
        #expect(schedule.dueTime(of: 0) == 1_000)
        #expect(schedule.dueTime(of: 3) == 750_001_000)
        // Nothing taken for a while: every arrival due by then comes at once, with its own due time.
        #expect(schedule.take(dueBy: 500_001_000) == [1_000, 250_001_000, 500_001_000])
        #expect(schedule.take(dueBy: 500_001_000) == [])
        #expect(schedule.take(dueBy: 2_000_000_000, before: 1_000_001_000) == [750_001_000])
        #expect(schedule.issued == 4)
    }

    @Test("a ramp spreads starts evenly; jitter is seeded and bounded")
    func ramp() {
        #expect(
            RampSchedule(stations: 4, rampUpSeconds: 2).offsets() == [0, 500_000_000, 1_000_000_000, 1_500_000_000])
        #expect(RampSchedule(stations: 3, rampUpSeconds: 0).offsets() == [0, 0, 0])
        let jittered = RampSchedule(stations: 1000, rampUpSeconds: 0, jitterSeconds: 5, seed: 7).offsets()
        #expect(jittered == RampSchedule(stations: 1000, rampUpSeconds: 0, jitterSeconds: 5, seed: 7).offsets())
        #expect(jittered != RampSchedule(stations: 1000, rampUpSeconds: 0, jitterSeconds: 5, seed: 8).offsets())
        #expect(jittered.allSatisfy { $0 < 5_000_000_000 })
        #expect(jittered.contains { $0 > 4_000_000_000 } && jittered.contains { $0 < 1_000_000_000 })
    }

    @Test("the 1.6 / 2.0.1 mix interleaves stations in the requested share")
    func protocolMix() {
        let mix = (0..<100).map { StationProtocol.of(station: $0, share201: 0.25) }
        #expect(mix.filter { $0 == .v201 }.count == 25)
        #expect(mix.prefix(8).filter { $0 == .v201 }.count == 2)
        #expect((0..<10).allSatisfy { StationProtocol.of(station: $0, share201: 0) == .v16 })
        #expect((0..<10).allSatisfy { StationProtocol.of(station: $0, share201: 1) == .v201 })
    }
}

@Suite("csms-load: statistics and report")
struct ReportTests {
    @Test("percentiles come from the histogram, in milliseconds; loops merge")
    func percentiles() throws {
        var first = PhaseRecorder()
        var second = PhaseRecorder()
        for millisecond in 1...99 { first.record("MeterValues", nanoseconds: UInt64(millisecond) * 1_000_000) }
        second.record("MeterValues", nanoseconds: 1_000_000_000)
        second.recordError("MeterValues", kind: "timeout")
        second.count("sessions completed", 3)
        first.merge(second)
        let stats = try #require(first.actions["MeterValues"])
        #expect(stats.completed == 100)
        #expect(stats.failed == 1)
        #expect(abs(stats.milliseconds(atPercentile: 50) - 50) < 0.1)
        #expect(abs(stats.milliseconds(atPercentile: 99) - 99) < 0.1)
        #expect(abs(stats.milliseconds(atPercentile: 99.9) - 1000) < 1)
        #expect(first.counters["sessions completed"] == 3)
        #expect(first.errorsByKind == ["timeout": 1])
    }

    @Test("the knee is the lowest offered rate whose p99 exceeds 100 ms")
    func knee() {
        func phase(_ rate: Double, p99Milliseconds: UInt64) -> PhaseReport {
            var recorder = PhaseRecorder()
            for _ in 0..<1000 { recorder.record("MeterValues", nanoseconds: p99Milliseconds * 1_000_000) }
            return PhaseReport(
                phase: Phase(name: "rate", workload: .meterValues(rate: rate), warmupSeconds: 0, durationSeconds: 1),
                recorder: recorder, seconds: 1, server: nil)
        }
        let knee = KneeReport.find([
            phase(4000, p99Milliseconds: 300), phase(1000, p99Milliseconds: 2), phase(2000, p99Milliseconds: 40),
        ])
        #expect(knee?.kneeRate == 4000)
        #expect(knee?.lastGoodRate == 2000)
        #expect(KneeReport.find([phase(1000, p99Milliseconds: 2)])?.kneeRate == nil)
    }

    @Test("text, JSON and markdown carry the figures")
    func rendering() throws {
        var report = LoadReport(
            scenario: "status-loop", target: "ws://127.0.0.1:1/ocpp", label: "csms", startedAt: Date(),
            parameters: ["stations": "2"])
        var recorder = PhaseRecorder()
        recorder.record("StatusNotification", nanoseconds: 2_000_000)
        recorder.recordError("StatusNotification", kind: "CALLERROR InternalError")
        let phase = Phase(name: "status-loop", workload: .statusLoop, warmupSeconds: 1, durationSeconds: 2)
        report.phases = [PhaseReport(phase: phase, recorder: recorder, seconds: 2, server: nil)]
        report.checks = [CheckResult(name: "c", status: .skipped, detail: "no API")]
        let text = report.text()
        #expect(text.contains("StatusNotification"))
        #expect(text.contains("CALLERROR InternalError=1"))
        #expect(text.contains("check c: SKIPPED"))
        let json = try #require(JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let phases = try #require(json["phases"] as? [[String: Any]])
        #expect(phases.first?["throughput"] as? Double == 0.5)
        #expect(report.markdown().contains("| csms | status-loop | status-loop | - | 0.500 |"))
        #expect(report.checksPassed)
    }

    @Test("answers per 100 ms: loops merge, only the window's whole slices count, the dips show")
    func steadiness() throws {
        let start: UInt64 = 5_000_000_000
        let slice = ThroughputTimeline.sliceNanoseconds
        // Two event loops share a 2 s window (20 slices): 100 answers in each slice but a dip
        // of 10 in slice 7 and a burst of 190 in slice 12; loop two took every fourth answer.
        var loops = [PhaseRecorder(timelineStart: start), PhaseRecorder(timelineStart: start)]
        for index in 0..<20 {
            let count = index == 7 ? 10 : index == 12 ? 190 : 100
            for answer in 0..<count {
                loops[answer % 4 == 0 ? 1 : 0].recordAnswered(at: start + UInt64(index) * slice + UInt64(answer))
            }
        }
        loops[0].recordAnswered(at: start - 1)  // before the window: not counted
        loops[1].recordAnswered(at: start + 20 * slice + 5)  // while the window drains: left out
        var merged = PhaseRecorder()  // the API workload's recorder, without a timeline
        for loop in loops { merged.merge(loop) }
        let timeline = try #require(merged.timeline)
        #expect(timeline.counts.count == 21 && timeline.counts[7] == 10 && timeline.counts[12] == 190)
        let steadiness = try #require(timeline.steadiness(seconds: 2))
        #expect(steadiness.slices == 20)
        #expect(steadiness.minPerSecond == 100)
        #expect(steadiness.p10PerSecond == 1_000)
        #expect(steadiness.medianPerSecond == 1_000)
        #expect(abs(steadiness.variation - (81_000.0).squareRoot() / 1_000) < 1e-9)
        #expect(timeline.steadiness(seconds: 0.9) == nil, "under one second")
        #expect(ThroughputTimeline(start: start).steadiness(seconds: 2) == nil, "no answers")

        let phase = Phase(name: "status-loop", workload: .statusLoop, warmupSeconds: 0, durationSeconds: 2)
        var report = LoadReport(
            scenario: "status-loop", target: "ws://127.0.0.1:1/ocpp", label: "csms", startedAt: Date(), parameters: [:])
        report.phases = [PhaseReport(phase: phase, recorder: merged, seconds: 2, server: nil)]
        #expect(report.phases[0].steadiness == steadiness)
        #expect(report.markdown().contains("status-loop: answers per 100 ms as a rate: slowest 100/s, p10 1000/s"))
        #expect(report.text().contains("variation 0.28"))
        #expect(PhaseReport(phase: phase, recorder: PhaseRecorder(), seconds: 2, server: nil).steadiness == nil)
    }
}

@Suite("csms-load: presets, messages, process usage, session check")
struct PlanAndMessageTests {
    @Test("presets resolve with overrides")
    func presets() {
        #expect(ScenarioPlan(.statusLoop).stations == 200)
        #expect(ScenarioPlan(.bootStormJittered).jitterSeconds == 5)
        #expect(ScenarioPlan(.bootStorm).setupIsMeasured)
        var options = ScenarioOptions()
        options.rates = [100, 200]
        options.durationSeconds = 3
        let telemetry = ScenarioPlan(.telemetry, options: options)
        #expect(telemetry.phases.map(\.offeredRate) == [100, 200])
        #expect(telemetry.phases.allSatisfy { $0.durationSeconds == 3 })
        #expect(ScenarioName.allCases.count == 8)
    }

    @Test("status-loop runs the closed loop back to back, then paced at each rate (10,000/s by default)")
    func statusLoopPhases() {
        let plan = ScenarioPlan(.statusLoop)
        #expect(plan.phases.map(\.workload) == [.statusLoop, .pacedStatus(rate: 10_000)])
        #expect(plan.phases.map(\.name) == ["status-loop", "paced 10000/s"])
        #expect(plan.phases.map(\.offeredRate) == [nil, 10_000])
        var options = ScenarioOptions()
        options.rates = [8_000, 12_000]
        #expect(ScenarioPlan(.statusLoop, options: options).phases.map(\.offeredRate) == [nil, 8_000, 12_000])
    }

    @Test("every request the stations send is valid against the generated schema types")
    func messagesAreSchemaValid() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let v16 = StationMessages(version: .v16)
        try checkValid(v16.bootNotification(serial: "load-1-000001"), OCPP16.BootNotificationRequest.self)
        try checkValid(
            v16.statusNotification(connector: 2, charging: true, at: date), OCPP16.StatusNotificationRequest.self)
        try checkValid(v16.startTransaction(connector: 1, meterStart: 5, at: date), OCPP16.StartTransactionRequest.self)
        try checkValid(
            v16.meterValues(connector: 1, transactionId: 9, energyWh: 10, at: date), OCPP16.MeterValuesRequest.self)
        try checkValid(
            v16.stopTransaction(transactionId: 9, meterStop: 20, at: date), OCPP16.StopTransactionRequest.self)
        try checkValid(v16.authorize(), OCPP16.AuthorizeRequest.self)
        let v201 = StationMessages(version: .v201)
        try checkValid(v201.bootNotification(serial: "load-1-000002"), OCPP201.BootNotificationRequest.self)
        try checkValid(
            v201.statusNotification(connector: 1, charging: false, at: date), OCPP201.StatusNotificationRequest.self)
        try checkValid(
            v201.meterValues(connector: 1, transactionId: nil, energyWh: 10, at: date), OCPP201.MeterValuesRequest.self)
        for event in [TransactionEventEnum.started, .updated, .ended] {
            let call = v201.transactionEvent(event, transactionId: "t-1", seqNo: 1, evse: 1, energyWh: 5, at: date)
            try checkValid(call, OCPP201.TransactionEventRequest.self)
        }
        let frame = v16.heartbeat().frame(messageId: "7")
        #expect(String(decoding: frame, as: UTF8.self) == #"[2,"7","Heartbeat",{}]"#)
    }

    private func checkValid<T: OCPPPayload>(_ call: OutgoingCall, _ type: T.Type) throws {
        #expect(T.violations(of: call.payload).isEmpty, "\(call.action): \(T.violations(of: call.payload))")
    }

    @Test("/proc parsing: CPU ticks after the command name, RSS in bytes")
    func procParsing() {
        let stat = "1234 (csms (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 100 2000 300"
        #expect(ProcessSample.cpuTicks(statLine: stat) == 300)
        #expect(ProcessSample.cpuTicks(statLine: "garbage") == nil)
        let memory = ProcessSample.memory(status: "Name:\tcsms\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
        #expect(memory.rss == 1_048_576 && memory.peak == 2_097_152)
        let usage = ProcessUsage(
            from: ProcessSample(cpuTicks: 0, rssBytes: 100 << 20, peakRSSBytes: 0),
            to: ProcessSample(cpuTicks: UInt64(ProcessSample.ticksPerSecond), rssBytes: 110 << 20, peakRSSBytes: 0),
            seconds: 2, baseline: ProcessSample(cpuTicks: 0, rssBytes: 100 << 20, peakRSSBytes: 0))
        #expect(usage.cpuPercent == 50)
        #expect(usage.kibPerConnection(1024) == 10)
    }

    @Test("the sessions check finds lost, doubled, unfinished and unknown sessions")
    func sessionCheck() {
        let started = ["a|1", "a|2", "b|3", "b|4"]
        let completed = ["a|1", "a|2", "b|3"]
        let good = SessionCheck.compare(
            stored: ["a|1": ["Completed"], "a|2": ["Completed"], "b|3": ["Completed"], "b|4": ["Active"]],
            started: started, completed: completed, name: "s")
        #expect(good.status == .passed)
        let bad = SessionCheck.compare(
            stored: ["a|1": ["Completed", "Completed"], "b|3": ["Active"], "c|9": ["Completed"]],
            started: started, completed: completed, name: "s")
        #expect(bad.status == .failed)
        #expect(bad.detail.contains("1 completed sessions missing"))
        #expect(bad.detail.contains("1 stored but not Completed"))
        #expect(bad.detail.contains("1 stored more than once"))
        #expect(bad.detail.contains("1 stored that no station started"))
    }
}

@Suite("csms-load: WebSocket handshake")
struct HandshakeTests {
    @Test("the request offers the station's subprotocol, with Basic authentication when given")
    func request() {
        let key: [UInt8] = Array(0..<16)
        let text = WebSocketHandshake.request(
            host: "127.0.0.1", port: 9000, path: "/ocpp/load-1-000001", subprotocol: "ocpp1.6", key: key,
            basicAuth: ("load-1-000001", "pw"))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.first == "GET /ocpp/load-1-000001 HTTP/1.1")
        #expect(lines.contains("Sec-WebSocket-Protocol: ocpp1.6"))
        #expect(lines.contains("Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw=="))
        #expect(lines.contains("Authorization: Basic bG9hZC0xLTAwMDAwMTpwdw=="))
        #expect(text.hasSuffix("\r\n\r\n"))
        let anonymous = WebSocketHandshake.request(
            host: "h", port: 1, path: "/ocpp/x", subprotocol: "ocpp2.0.1", key: key)
        #expect(!anonymous.contains("Authorization"))
    }

    @Test("only 101 with the offered subprotocol opens the session")
    func answers() {
        let accepted = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nsec-websocket-protocol: ocpp2.0.1"
        #expect(WebSocketHandshake.refusal(head: accepted, subprotocol: "ocpp2.0.1") == nil)
        #expect(WebSocketHandshake.refusal(head: accepted, subprotocol: "ocpp1.6") == "subprotocol not accepted")
        let bare = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
        #expect(WebSocketHandshake.refusal(head: bare, subprotocol: "ocpp1.6") == "subprotocol not accepted")
        #expect(
            WebSocketHandshake.refusal(head: "HTTP/1.1 400 Bad Request", subprotocol: "ocpp1.6") == "handshake HTTP 400"
        )
        #expect(WebSocketHandshake.refusal(head: "garbage", subprotocol: "ocpp1.6") == "handshake HTTP 0")
    }
}
