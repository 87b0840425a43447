public import CoreMetrics
public import Foundation
public import Logging
public import OCPP
public import ServiceLifecycle
import Synchronization

/// A swift-metrics backend that writes the CloudWatch Embedded Metric Format (EMF): JSON log
/// lines from which CloudWatch Logs extracts metrics, so a deployment on AWS gets CloudWatch
/// metrics without an SDK (docs/operations.md, "Metrics").
///
/// Values are aggregated in memory and written by `flush()` (the `EMFEmitter` service calls it
/// every interval): one line per set of dimension values, holding every metric recorded with
/// exactly those dimensions since the last flush. Counters become the increase since the last
/// flush (`Count`), gauges and recorders their last value (`None`), timers three metrics:
/// `NAME.count` (`Count`), `NAME.avg` and `NAME.max` (`Milliseconds`).
public final class EMFMetricsFactory: MetricsFactory, Sendable {
    /// The CloudWatch namespace of every metric.
    public let namespace: String
    private let state = Mutex(Aggregates())

    struct SeriesKey: Hashable {
        let dimensions: [String]  // name=value pairs, sorted by name
    }

    struct Aggregates {
        var counters: [SeriesKey: [String: Int64]] = [:]
        var gauges: [SeriesKey: [String: Double]] = [:]
        var timers: [SeriesKey: [String: (count: Int, sum: Double, max: Double)]] = [:]
    }

    /// A factory writing metrics under `namespace` (1-255 characters).
    public init(namespace: String) {
        self.namespace = String(namespace.prefix(255))
    }

    static func key(_ dimensions: [(String, String)]) -> SeriesKey {
        // EMF allows at most 30 dimensions per set.
        SeriesKey(dimensions: dimensions.sorted { $0.0 < $1.0 }.prefix(30).map { "\($0.0)=\($0.1)" })
    }

    fileprivate func add(counter label: String, _ key: SeriesKey, _ amount: Int64) {
        state.withLock { $0.counters[key, default: [:]][label, default: 0] += amount }
    }

    fileprivate func set(gauge label: String, _ key: SeriesKey, _ value: Double) {
        state.withLock { $0.gauges[key, default: [:]][label] = value }
    }

    fileprivate func record(timer label: String, _ key: SeriesKey, milliseconds: Double) {
        state.withLock { s in
            var entry = s.timers[key, default: [:]][label] ?? (0, 0, 0)
            entry.count += 1
            entry.sum += milliseconds
            entry.max = max(entry.max, milliseconds)
            s.timers[key, default: [:]][label] = entry
        }
    }

    /// The EMF lines for everything recorded since the last flush (the aggregates are reset;
    /// gauges keep their last value and are written again).
    public func flush(at date: Date) -> [JSONValue] {
        let snapshot = state.withLock { s in
            let copy = s
            s.counters = [:]
            s.timers = [:]
            return copy
        }
        let keys = Set(snapshot.counters.keys).union(snapshot.gauges.keys).union(snapshot.timers.keys)
        return keys.sorted { $0.dimensions.joined(separator: ",") < $1.dimensions.joined(separator: ",") }.map { key in
            var metrics: [(name: String, unit: String, value: Double)] = []
            for (name, value) in snapshot.counters[key] ?? [:] { metrics.append((name, "Count", Double(value))) }
            for (name, value) in snapshot.gauges[key] ?? [:] { metrics.append((name, "None", value)) }
            for (name, timer) in snapshot.timers[key] ?? [:] {
                metrics.append((name + ".count", "Count", Double(timer.count)))
                metrics.append((name + ".avg", "Milliseconds", timer.sum / Double(max(timer.count, 1))))
                metrics.append((name + ".max", "Milliseconds", timer.max))
            }
            metrics.sort { $0.name < $1.name }
            return line(key: key, metrics: Array(metrics.prefix(100)), at: date)
        }
    }

    private func line(key: SeriesKey, metrics: [(name: String, unit: String, value: Double)], at date: Date)
        -> JSONValue
    {
        var object = JSONObject()
        var dimensionNames: [JSONValue] = []
        for pair in key.dimensions {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            dimensionNames.append(.string(parts[0]))
            object[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
        }
        let definitions: [JSONValue] = metrics.map { ["Name": .string($0.name), "Unit": .string($0.unit)] }
        for metric in metrics { object[metric.name] = .number(JSONNumber(metric.value)) }
        let directive: JSONValue = [
            "Namespace": .string(namespace), "Dimensions": [.array(dimensionNames)], "Metrics": .array(definitions),
        ]
        object["_aws"] = [
            "Timestamp": .number(JSONNumber(Int((date.timeIntervalSince1970 * 1000).rounded()))),
            "CloudWatchMetrics": [directive],
        ]
        return .object(object)
    }

    // MARK: MetricsFactory

    /// A counter handler.
    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        EMFCounter(factory: self, label: label, key: Self.key(dimensions))
    }

    /// A counter handler for floating-point increments (rounded).
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        EMFCounter(factory: self, label: label, key: Self.key(dimensions))
    }

    /// A recorder (gauge) handler; aggregating recorders keep their last value too.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        EMFGauge(factory: self, label: label, key: Self.key(dimensions))
    }

    /// A meter (gauge) handler.
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        EMFGauge(factory: self, label: label, key: Self.key(dimensions))
    }

    /// A timer handler.
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        EMFTimer(factory: self, label: label, key: Self.key(dimensions))
    }

    /// Nothing to release.
    public func destroyCounter(_ handler: any CounterHandler) {}
    /// Nothing to release.
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    /// Nothing to release.
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    /// Nothing to release.
    public func destroyMeter(_ handler: any MeterHandler) {}
    /// Nothing to release.
    public func destroyTimer(_ handler: any TimerHandler) {}
}

private final class EMFCounter: CounterHandler, FloatingPointCounterHandler, Sendable {
    let factory: EMFMetricsFactory
    let label: String
    let key: EMFMetricsFactory.SeriesKey
    init(factory: EMFMetricsFactory, label: String, key: EMFMetricsFactory.SeriesKey) {
        self.factory = factory
        self.label = label
        self.key = key
    }
    func increment(by amount: Int64) { factory.add(counter: label, key, amount) }
    func increment(by amount: Double) { factory.add(counter: label, key, Int64(amount.rounded())) }
    func reset() {}
}

private final class EMFGauge: RecorderHandler, MeterHandler, Sendable {
    let factory: EMFMetricsFactory
    let label: String
    let key: EMFMetricsFactory.SeriesKey
    init(factory: EMFMetricsFactory, label: String, key: EMFMetricsFactory.SeriesKey) {
        self.factory = factory
        self.label = label
        self.key = key
    }
    func record(_ value: Int64) { factory.set(gauge: label, key, Double(value)) }
    func record(_ value: Double) { factory.set(gauge: label, key, value) }
    func set(_ value: Int64) { record(value) }
    func set(_ value: Double) { record(value) }
    func increment(by amount: Double) {}
    func decrement(by amount: Double) {}
}

private final class EMFTimer: TimerHandler, Sendable {
    let factory: EMFMetricsFactory
    let label: String
    let key: EMFMetricsFactory.SeriesKey
    init(factory: EMFMetricsFactory, label: String, key: EMFMetricsFactory.SeriesKey) {
        self.factory = factory
        self.label = label
        self.key = key
    }
    func recordNanoseconds(_ duration: Int64) {
        factory.record(timer: label, key, milliseconds: Double(duration) / 1_000_000)
    }
}

/// Writes the EMF lines of a factory every `interval` (and once more at shutdown) to standard
/// output or appends them to a file.
public struct EMFEmitter: Service, CustomStringConvertible {
    /// Where the lines go.
    public enum Destination: Sendable, Equatable {
        /// Standard output (next to the JSON log lines, as CloudWatch agents expect).
        case standardOutput
        /// A file, appended to.
        case file(String)
    }

    let factory: EMFMetricsFactory
    let interval: Duration
    let destination: Destination
    let logger: Logger

    /// An emitter.
    public init(factory: EMFMetricsFactory, interval: Duration, destination: Destination, logger: Logger) {
        self.factory = factory
        self.interval = interval
        self.destination = destination
        self.logger = logger
    }

    /// `EMFEmitter`.
    public var description: String { "EMFEmitter" }

    /// Flushes every interval until shutdown, then once more.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                write()
            }
        }
        write()
    }

    func write() {
        let lines = factory.flush(at: Date())
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for line in lines {
            bytes += line.serialized()
            bytes.append(UInt8(ascii: "\n"))
        }
        switch destination {
        case .standardOutput:
            FileHandle.standardOutput.write(Data(bytes))
        case .file(let path):
            do {
                if !FileManager.default.fileExists(atPath: path) {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: bytes)
            } catch {
                logger.error(
                    "EMF metrics could not be written", metadata: ["path": .string(path), "error": "\(error)"])
            }
        }
    }
}
