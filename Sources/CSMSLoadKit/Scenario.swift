/// The named scenario presets of `csms-load` (docs/benchmarks.md describes each one).
public enum ScenarioName: String, Sendable, CaseIterable, Codable {
    /// N stations connected and heartbeating: server RSS per connection, idle CPU.
    case idleHold = "idle-hold"
    /// N stations connect and boot at once: time until all are Accepted, failures.
    case bootStorm = "boot-storm"
    /// The boot storm with each station's start delayed by a random jitter.
    case bootStormJittered = "boot-storm-jittered"
    /// Open-loop MeterValues at a list of fleet-wide rates; the knee where p99 > 100 ms.
    case telemetry
    /// Closed-loop charging sessions; sessions/s and a check against the transactions API.
    case sessions
    /// Operator API commands to connected stations that answer Accepted at once.
    case commands
    /// A day compressed: 90% heartbeats/status, 10% sessions, periodic API commands.
    case mixed
    /// Issue #3: 200 stations sending StatusNotification in a closed loop, back to back, then
    /// paced to a fleet-wide rate per second.
    case statusLoop = "status-loop"
}

/// What the stations do during a measurement phase.
public enum Workload: Sendable, Equatable {
    /// Nothing but heartbeats at the heartbeat interval.
    case idle
    /// Every station sends StatusNotification again as soon as the previous one is answered.
    case statusLoop
    /// Fleet-wide StatusNotifications at `rate` per second, spread round-robin: every station
    /// sends one every `stations / rate` seconds and still waits for each answer (a closed loop
    /// with a think time); latency runs from the due time.
    case pacedStatus(rate: Double)
    /// Fleet-wide open-loop MeterValues at `rate` per second, spread round-robin.
    case meterValues(rate: Double)
    /// Every station runs charging sessions back to back (Authorize, start, `meterValues` ×
    /// MeterValues or TransactionEvent Updated, stop).
    case sessions(meterValues: Int)
    /// `concurrency` API clients send commands in a closed loop; stations answer Accepted.
    case commands(concurrency: Int)
    /// Open-loop events at `rate` per second: 45% Heartbeat, 45% StatusNotification, 10% a
    /// whole session (with 3 MeterValues), plus `commandRate` API commands per second.
    case mixed(rate: Double, commandRate: Double)
}

/// One measurement phase: the workload runs `warmupSeconds` unrecorded, then
/// `durationSeconds` recorded.
public struct Phase: Sendable, Equatable {
    /// Name in the report (e.g. `rate 2000/s`).
    public var name: String
    /// What the stations do.
    public var workload: Workload
    /// Seconds run before recording starts.
    public var warmupSeconds: Double
    /// Seconds recorded.
    public var durationSeconds: Double

    /// A phase.
    public init(name: String, workload: Workload, warmupSeconds: Double, durationSeconds: Double) {
        self.name = name
        self.workload = workload
        self.warmupSeconds = warmupSeconds
        self.durationSeconds = durationSeconds
    }

    /// The offered rate of a phase whose requests are due on a schedule (open loop, or the
    /// paced status loop); `nil` for one that sends as fast as answers come.
    public var offeredRate: Double? {
        switch workload {
        case .meterValues(let rate), .mixed(let rate, _), .pacedStatus(let rate): rate
        default: nil
        }
    }
}

/// Overrides of a preset's parameters (command-line options); nil keeps the preset's value.
public struct ScenarioOptions: Sendable, Equatable {
    /// Number of stations.
    public var stations: Int?
    /// Seconds over which connections are spread.
    public var rampUpSeconds: Double?
    /// Random extra delay per station start, seconds.
    public var jitterSeconds: Double?
    /// Recorded seconds per phase.
    public var durationSeconds: Double?
    /// Unrecorded seconds before each phase.
    public var warmupSeconds: Double?
    /// Open-loop rates (telemetry, mixed; status-loop: the paced phases).
    public var rates: [Double]?
    /// MeterValues per session.
    public var meterValuesPerSession: Int?
    /// Share of 2.0.1 stations in [0, 1].
    public var share201: Double?
    /// Connectors (1.6) / EVSEs (2.0.1) per station.
    public var connectors: Int?
    /// Seconds between heartbeats (0: none).
    public var heartbeatSeconds: Double?
    /// API clients for `commands`.
    public var concurrency: Int?
    /// API commands per second in `mixed`.
    public var commandRate: Double?

    /// No overrides.
    public init() {}
}

/// A resolved scenario: the fleet and its phases.
public struct ScenarioPlan: Sendable, Equatable {
    /// The preset.
    public var scenario: ScenarioName
    /// Number of stations.
    public var stations: Int
    /// Seconds over which the connections are spread.
    public var rampUpSeconds: Double
    /// Random extra delay per station start, seconds.
    public var jitterSeconds: Double
    /// Share of 2.0.1 stations.
    public var share201: Double
    /// Connectors per station (each gets a StatusNotification after boot).
    public var connectors: Int
    /// Seconds between heartbeats of each station (0: none).
    public var heartbeatSeconds: Double
    /// The measurement phases after the fleet has connected and booted.
    public var phases: [Phase]
    /// Whether the connect-and-boot phase itself is the measurement (boot storms).
    public var setupIsMeasured: Bool
    /// Longest wait for every station to be connected and booted, seconds.
    public var setupTimeoutSeconds: Double

    /// The plan of preset `scenario` with `options` applied.
    public init(_ scenario: ScenarioName, options: ScenarioOptions = ScenarioOptions()) {
        self.scenario = scenario
        let warmup = options.warmupSeconds
        let duration = options.durationSeconds
        share201 = min(1, max(0, options.share201 ?? 0))
        connectors = max(1, options.connectors ?? 2)
        jitterSeconds = options.jitterSeconds ?? 0
        setupIsMeasured = false
        heartbeatSeconds = options.heartbeatSeconds ?? 0
        setupTimeoutSeconds = 120
        switch scenario {
        case .idleHold:
            stations = options.stations ?? 1000
            rampUpSeconds = options.rampUpSeconds ?? max(1, Double(stations) / 1000)
            heartbeatSeconds = options.heartbeatSeconds ?? 30
            phases = [Phase(name: "hold", workload: .idle, warmupSeconds: warmup ?? 5, durationSeconds: duration ?? 30)]
        case .bootStorm, .bootStormJittered:
            stations = options.stations ?? 1000
            rampUpSeconds = options.rampUpSeconds ?? 0
            if scenario == .bootStormJittered { jitterSeconds = options.jitterSeconds ?? 5 }
            setupIsMeasured = true
            setupTimeoutSeconds = duration ?? 60
            phases = []
        case .telemetry:
            stations = options.stations ?? 1000
            rampUpSeconds = options.rampUpSeconds ?? max(1, Double(stations) / 1000)
            let rates = options.rates ?? [1000, 2000, 5000, 10000, 20000]
            phases = rates.map {
                Phase(
                    name: "rate \(Int($0))/s", workload: .meterValues(rate: $0), warmupSeconds: warmup ?? 2,
                    durationSeconds: duration ?? 10)
            }
        case .sessions:
            stations = options.stations ?? 1000
            rampUpSeconds = options.rampUpSeconds ?? max(1, Double(stations) / 1000)
            phases = [
                Phase(
                    name: "sessions", workload: .sessions(meterValues: options.meterValuesPerSession ?? 10),
                    warmupSeconds: warmup ?? 3, durationSeconds: duration ?? 20)
            ]
        case .commands:
            stations = options.stations ?? 100
            rampUpSeconds = options.rampUpSeconds ?? 1
            phases = [
                Phase(
                    name: "commands", workload: .commands(concurrency: options.concurrency ?? 16),
                    warmupSeconds: warmup ?? 2, durationSeconds: duration ?? 15)
            ]
        case .mixed:
            stations = options.stations ?? 1000
            rampUpSeconds = options.rampUpSeconds ?? max(1, Double(stations) / 1000)
            heartbeatSeconds = options.heartbeatSeconds ?? 0
            let rate = options.rates?.first ?? Double(stations) / 2
            phases = [
                Phase(
                    name: "mixed", workload: .mixed(rate: rate, commandRate: options.commandRate ?? 5),
                    warmupSeconds: warmup ?? 3, durationSeconds: duration ?? 30)
            ]
        case .statusLoop:
            stations = options.stations ?? 200
            rampUpSeconds = options.rampUpSeconds ?? 1
            let phase = { (name: String, workload: Workload) in
                Phase(name: name, workload: workload, warmupSeconds: warmup ?? 3, durationSeconds: duration ?? 15)
            }
            phases =
                [phase("status-loop", .statusLoop)]
                + (options.rates ?? [10_000]).map { phase("paced \(Int($0))/s", .pacedStatus(rate: $0)) }
        }
    }
}
