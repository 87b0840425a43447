import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import Metrics
import OCPP
import Testing

@testable import CSMSServer

@Suite("Metrics: Prometheus exposition and CloudWatch EMF")
struct MetricsOutputTests {
    @Test("dotted swift-metrics labels become valid Prometheus names; timers become histograms")
    func prometheusNames() throws {
        let exposition = PrometheusExposition()
        Counter(label: "ocpp.messages.received", dimensions: [("action", "Heartbeat")], factory: exposition.factory)
            .increment(by: 3)
        Metrics.Timer(
            label: "ocpp.handler.duration", dimensions: [("action", "Heartbeat")], factory: exposition.factory
        )
        .recordMilliseconds(3)
        let text = String(decoding: exposition.render(), as: UTF8.self)
        #expect(text.contains(#"ocpp_messages_received{action="Heartbeat"} 3"#), "\(text)")
        #expect(text.contains(#"ocpp_handler_duration_bucket{action="Heartbeat",le="0.005"} 1"#), "\(text)")
        #expect(text.contains(#"ocpp_handler_duration_bucket{action="Heartbeat",le="0.002"} 0"#))
        #expect(text.contains("process_resident_memory_bytes "))
        #expect(!text.contains("process_resident_memory_bytes 0.0\n"), "RSS is read from /proc")
        #expect(PrometheusExposition.sanitized("9a.b-c:d") == "_a_b_c:d")
    }

    @Test("/proc parsing copes with spaces and parentheses in the command name")
    func procParsing() throws {
        let stat = "4242 (csms (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 7 0 100 999 2000"
        let status = "Name:\tcsms\nVmRSS:\t  12345 kB\nThreads:\t7\n"
        let sample = try #require(ProcessMetrics.parse(stat: stat, status: status, openFiles: 9, ticksPerSecond: 100))
        #expect(sample == ProcessMetrics.Sample(residentBytes: 12345 * 1024, cpuSeconds: 4, openFiles: 9))
        #expect(ProcessMetrics.parse(stat: "garbage", status: "", openFiles: 0, ticksPerSecond: 100) == nil)
    }

    /// Checks one EMF line against the specification's required structure: `_aws` with an
    /// integer `Timestamp` and `CloudWatchMetrics` directives, each with a `Namespace`,
    /// `Dimensions` (arrays of at most 30 names of top-level string members) and `Metrics`
    /// (at most 100, each naming a top-level number, with a CloudWatch unit).
    private func validateEMF(_ line: [String: Any]) throws {
        let aws = try #require(line["_aws"] as? [String: Any])
        let timestamp = try #require(aws["Timestamp"] as? Int)
        #expect(timestamp > 1_600_000_000_000)
        let directives = try #require(aws["CloudWatchMetrics"] as? [[String: Any]])
        #expect(!directives.isEmpty)
        let units: Set<String> = [
            "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
            "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
            "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
            "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
        ]
        for directive in directives {
            let namespace = try #require(directive["Namespace"] as? String)
            #expect((1...255).contains(namespace.count))
            let dimensionSets = try #require(directive["Dimensions"] as? [[String]])
            for set in dimensionSets {
                #expect(set.count <= 30)
                for name in set { #expect(line[name] is String, "dimension \(name) is a top-level string") }
            }
            let metrics = try #require(directive["Metrics"] as? [[String: Any]])
            #expect((1...100).contains(metrics.count))
            for metric in metrics {
                let name = try #require(metric["Name"] as? String)
                #expect((1...255).contains(name.count))
                #expect(line[name] is NSNumber, "metric \(name) is a top-level number")
                #expect(units.contains(metric["Unit"] as? String ?? "None"))
            }
        }
    }

    @Test("EMF lines are valid and aggregate per flush")
    func emf() throws {
        let emf = EMFMetricsFactory(namespace: "csms-test")
        let received = Counter(
            label: "ocpp.messages.received", dimensions: [("version", "1.6"), ("action", "Heartbeat")], factory: emf)
        received.increment(by: 2)
        received.increment()
        let timer = Metrics.Timer(label: "ocpp.handler.duration", dimensions: [("action", "Heartbeat")], factory: emf)
        timer.recordMilliseconds(2)
        timer.recordMilliseconds(6)
        Gauge(label: "csms.connections.active", factory: emf).record(5)

        let date = Date(timeIntervalSince1970: 1_800_000_000.5)
        let lines = try emf.flush(at: date).map { value in
            try #require(JSONSerialization.jsonObject(with: Data(value.serialized())) as? [String: Any])
        }
        #expect(lines.count == 3, "one line per set of dimension values")
        for line in lines { try validateEMF(line) }
        let byAction = try #require(lines.first { $0["version"] as? String == "1.6" })
        #expect(byAction["ocpp.messages.received"] as? Int == 3)
        #expect(byAction["action"] as? String == "Heartbeat")
        #expect((byAction["_aws"] as? [String: Any])?["Timestamp"] as? Int == 1_800_000_000_500)
        let timing = try #require(lines.first { $0["ocpp.handler.duration.count"] != nil })
        #expect(timing["ocpp.handler.duration.count"] as? Int == 2)
        #expect(timing["ocpp.handler.duration.avg"] as? Double == 4)
        #expect(timing["ocpp.handler.duration.max"] as? Double == 6)
        let gauge = try #require(lines.first { $0["csms.connections.active"] != nil })
        #expect(
            ((gauge["_aws"] as? [String: Any])?["CloudWatchMetrics"] as? [[String: Any]])?.first?["Dimensions"]
                as? [[String]] == [[]])

        let next = emf.flush(at: date)
        #expect(next.count == 1, "counters and timers start again; the gauge keeps its value")
    }

    @Test("the EMF emitter appends lines to a file")
    func emitterWritesAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emf-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let emf = EMFMetricsFactory(namespace: "csms")
        let emitter = EMFEmitter(
            factory: emf, interval: .seconds(60), destination: .file(path), logger: .init(label: "t"))
        Counter(label: "a", factory: emf).increment()
        emitter.write()
        Counter(label: "a", factory: emf).increment(by: 4)
        emitter.write()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let last = try #require(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        try validateEMF(last)
        #expect(last["a"] as? Int == 4)
    }

    @Test("GET /metrics on a live server shows the processor's metrics, without a token")
    func liveEndpoint() async throws {
        let metrics = PrometheusExposition()
        try await LiveServer.with(realProcessor: ProcessorConfiguration(unknownChargePoints: .accept), metrics: metrics)
        { server in
            try await server.station("CP-MET", subprotocols: ["ocpp1.6"]) { inbound, outbound in
                try await outbound.write(
                    .text(#"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text = message { break }
                }
            }
            let response = try await server.api("GET", "/metrics", token: "")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(
                response.bodyText.contains(
                    #"ocpp_messages_received{version="1.6",action="BootNotification",frame_type="call"} 1"#),
                "\(response.bodyText.prefix(2000))")
        }
    }
}
