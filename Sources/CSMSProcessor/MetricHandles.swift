import CoreMetrics
import Synchronization

/// The processor's counters and timers, made once per label and dimensions and then reused.
///
/// `Counter(label:dimensions:factory:)` asks the metrics factory for a handler every time; with
/// the Prometheus exposition that is a registry lookup under its lock plus label sanitizing,
/// about a tenth of the CPU a refused message cost in the flood test
/// (Tests/e2e/test_flood_e2e.py), paid by every message of every station. The dimensions are
/// bounded (versions, the registry's action names, outcomes, dead-letter reasons), so the
/// cache is too.
final class MetricHandles: Sendable {
    private let counters = Mutex<[[String]: Counter]>([:])
    private let timers = Mutex<[[String]: Timer]>([:])

    /// The counter for `label` and `dimensions`, made by `factory` the first time.
    func counter(_ label: String, _ dimensions: [(String, String)], factory: any MetricsFactory) -> Counter {
        let key = Self.key(label, dimensions)
        if let counter = counters.withLock({ $0[key] }) { return counter }
        let made = Counter(label: label, dimensions: dimensions, factory: factory)
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            counters[key] = made
            return made
        }
    }

    /// The timer for `label` and `dimensions`, made by `factory` the first time.
    func timer(_ label: String, _ dimensions: [(String, String)], factory: any MetricsFactory) -> Timer {
        let key = Self.key(label, dimensions)
        if let timer = timers.withLock({ $0[key] }) { return timer }
        let made = Timer(label: label, dimensions: dimensions, factory: factory)
        return timers.withLock { timers in
            if let timer = timers[key] { return timer }
            timers[key] = made
            return made
        }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> [String] {
        var key = [label]
        key.reserveCapacity(1 + 2 * dimensions.count)
        for (name, value) in dimensions {
            key.append(name)
            key.append(value)
        }
        return key
    }
}
