import CoreMetrics
import Foundation
import Hummingbird
public import Prometheus

/// The Prometheus side of the metrics (docs/operations.md, "Metrics"): a collector registry, the
/// swift-metrics factory that fills it, and the text exposition served at `GET /metrics`.
///
/// swift-metrics labels use dots (`ocpp.messages.received`); Prometheus names allow
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, so every other character becomes `_`
/// (`ocpp_messages_received`). Durations go into histograms with buckets from 0.5 ms to 10 s
/// (handler times are mostly below a millisecond).
public struct PrometheusExposition: Sendable {
    /// The registry the factory writes into and the endpoint reads.
    public let registry: PrometheusCollectorRegistry
    /// The factory to bootstrap swift-metrics with (alone or in a multiplex).
    public let factory: PrometheusMetricsFactory
    private let process: ProcessMetrics

    /// A new registry and its factory.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitized(name), labels.map { (Self.sanitized($0.0), $0.1) })
        }
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(10),
        ]
        self.factory = factory
        process = ProcessMetrics(registry: registry)
    }

    /// The exposition text (process gauges brought up to date first).
    public func render() -> [UInt8] {
        process.update()
        return registry.emitToBuffer()
    }

    /// `name` with every character Prometheus does not allow in a name replaced by `_`.
    static func sanitized(_ name: String) -> String {
        var result = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            let allowed =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || scalar == "_" || scalar == ":"
                    || (index > 0 && ("0"..."9").contains(scalar)))
            result.unicodeScalars.append(allowed ? scalar : "_")
        }
        return result
    }
}

/// Process gauges read from `/proc` on every scrape (Linux; elsewhere they stay 0):
/// `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds`.
struct ProcessMetrics: Sendable {
    private let rss: Prometheus.Gauge
    private let cpu: Prometheus.Gauge
    private let fds: Prometheus.Gauge

    init(registry: PrometheusCollectorRegistry) {
        rss = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "resident_memory", unitName: "bytes",
                helpText: "Resident set size in bytes."))
        cpu = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "cpu_seconds", unitName: "total",
                helpText: "User and system CPU time in seconds."))
        fds = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "open", unitName: "fds", helpText: "Open file descriptors."))
    }

    func update() {
        if let sample = Self.sample() {
            rss.set(Double(sample.residentBytes))
            cpu.set(sample.cpuSeconds)
            fds.set(Double(sample.openFiles))
        }
    }

    /// One reading of the process's resources.
    struct Sample: Equatable {
        var residentBytes: Int
        var cpuSeconds: Double
        var openFiles: Int
    }

    /// Reads `/proc/self`; `nil` where it does not exist.
    static func sample() -> Sample? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return parse(stat: stat, status: status, openFiles: fds, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Parses `/proc/PID/stat` (utime and stime are fields 14 and 15, counted after the
    /// command name, which may contain spaces) and `VmRSS` of `/proc/PID/status`.
    static func parse(stat: String, status: String, openFiles: Int, ticksPerSecond: Double) -> Sample? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]), ticksPerSecond > 0
        else { return nil }
        var rssKiB = 0
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            rssKiB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return Sample(residentBytes: rssKiB * 1024, cpuSeconds: (utime + stime) / ticksPerSecond, openFiles: openFiles)
    }
}

/// `GET /metrics`: the Prometheus text exposition (version 0.0.4). No token: it carries no
/// secrets and no station ids (labels are bounded: version, action, outcome, error code).
struct MetricsRoutes: Sendable {
    let exposition: PrometheusExposition

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: exposition.render())))
        }
    }
}
