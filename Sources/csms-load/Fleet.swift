import CSMSLoadKit
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Options of a run besides the scenario plan.
struct RunOptions: Sendable {
    var label: String
    var targetURL: String
    var threads: Int
    var serverPid: String?
    var apiHost: String
    var apiPort: Int
    var apiToken: String?
    var progressSeconds: Double
    var allRates: Bool
    var seed: UInt64
    var parameters: [String: String]
}

/// Runs a scenario: connects and boots the fleet, runs each phase, checks, reports.
struct Fleet {
    let plan: ScenarioPlan
    let target: TargetConfiguration
    let options: RunOptions

    func run() async throws -> LoadReport {
        var report = LoadReport(
            scenario: plan.scenario.rawValue, target: options.targetURL, label: options.label, startedAt: Date(),
            parameters: options.parameters)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        let loops = Array(group.makeIterator())
        let drivers = loops.enumerated().map { position, loop in
            LoopDriver(
                loop: loop, plan: plan, target: target, rateShare: 1 / Double(loops.count),
                seed: options.seed &+ UInt64(position))
        }
        let serverBaseline = options.serverPid.flatMap { ProcessSample.read(pid: $0) }
        let clientStart = ProcessSample.read(pid: "self")
        let clientStartTime = monotonic()

        // Setup: connect, boot and report each connector's status.
        let offsets = RampSchedule(
            stations: plan.stations, rampUpSeconds: plan.rampUpSeconds, jitterSeconds: plan.jitterSeconds,
            seed: options.seed
        ).offsets()
        let setupStart = monotonic() + 20_000_000
        for (position, driver) in drivers.enumerated() {
            let indices = Array(stride(from: position, to: plan.stations, by: drivers.count))
            let stationOffsets = indices.map { offsets[$0] }
            try await driver.loop.submit {
                driver.prepare(indices: indices, offsets: stationOffsets, start: setupStart)
            }
            .get()
        }
        let setupDeadline = setupStart + UInt64(plan.setupTimeoutSeconds * 1e9) + (offsets.max() ?? 0)
        var progress = try await waitUntil(drivers, "setup", deadline: setupDeadline, since: setupStart) {
            $0.ready + $0.failed >= plan.stations
        }
        let setupEnd = monotonic()
        var setupRecorder = PhaseRecorder()
        for driver in drivers { setupRecorder.merge(try await driver.loop.submit { driver.takeSetup() }.get()) }
        report.setup.stations = plan.stations
        report.setup.accepted = progress.booted
        report.setup.seconds = Double(max(setupEnd, setupStart) - setupStart) / 1e9
        report.setup.failures = setupRecorder.actions["setup"]?.errors ?? [:]
        let notReady = plan.stations - progress.ready - progress.failed
        if notReady > 0 { report.setup.failures["not ready in time", default: 0] += notReady }
        if progress.booted == plan.stations, progress.booted > 0, progress.lastBootedAt >= setupStart {
            report.setup.secondsUntilAllAccepted = Double(progress.lastBootedAt - setupStart) / 1e9
        }
        report.setup.actions = ActionReport.list(
            setupRecorder.filtered { $0 != "setup" }, seconds: report.setup.seconds)

        // Phases.
        var ready: [StationRef] = []
        for driver in drivers { ready += try await driver.loop.submit { driver.readyStations() }.get() }
        ready.sort { $0.index < $1.index }
        let readyStations = ready
        let api = APIWorkload(group: group, options: options)
        for phase in plan.phases {
            let start = monotonic()
            let windowStart = start + UInt64(phase.warmupSeconds * 1e9)
            let windowEnd = windowStart + UInt64(phase.durationSeconds * 1e9)
            for driver in drivers {
                try await driver.loop.submit { driver.begin(phase.workload, window: windowStart..<windowEnd) }.get()
            }
            let apiTask = Task {
                await api.run(phase.workload, stations: readyStations, window: windowStart..<windowEnd)
            }
            try await sleep(until: windowStart, drivers: drivers, label: phase.name, since: start)
            let serverAtStart = options.serverPid.flatMap { ProcessSample.read(pid: $0) }
            let clientAtStart = ProcessSample.read(pid: "self")
            try await sleep(until: windowEnd, drivers: drivers, label: phase.name, since: start)
            let serverAtEnd = options.serverPid.flatMap { ProcessSample.read(pid: $0) }
            let clientAtEnd = ProcessSample.read(pid: "self")
            for driver in drivers { try await driver.loop.submit { driver.stopGenerating() }.get() }
            let apiRecorder = await apiTask.value
            // Let what was sent in the window be answered (or time out).
            progress = try await waitUntil(
                drivers, "drain", deadline: monotonic() + target.timeoutNanoseconds + 1_000_000_000, since: start
            ) { $0.inFlight == 0 && $0.queued == 0 }
            var recorder = apiRecorder
            for driver in drivers { recorder.merge(try await driver.loop.submit { driver.end() }.get()) }
            var usage: ProcessUsage?
            if let serverAtStart, let serverAtEnd {
                usage = ProcessUsage(
                    from: serverAtStart, to: serverAtEnd, seconds: phase.durationSeconds, baseline: serverBaseline)
            }
            var phaseReport = PhaseReport(
                phase: phase, recorder: recorder, seconds: phase.durationSeconds, server: usage)
            if let clientAtStart, let clientAtEnd {
                phaseReport.client = ProcessUsage(from: clientAtStart, to: clientAtEnd, seconds: phase.durationSeconds)
            }
            report.phases.append(phaseReport)
            if plan.scenario == .telemetry, !options.allRates, KneeReport.find(report.phases)?.kneeRate != nil {
                let skipped = plan.phases.drop { $0.name != phase.name }.dropFirst().map(\.name)
                if !skipped.isEmpty {
                    report.notes.append(
                        "knee reached: skipped \(skipped.joined(separator: ", ")) (--all-rates runs them)")
                }
                break
            }
        }
        if plan.scenario == .telemetry { report.knee = KneeReport.find(report.phases) }

        // Checks.
        var started: [String] = []
        var completed: [String] = []
        for driver in drivers {
            let lists = try await driver.loop.submit { (driver.startedTransactions, driver.completedTransactions) }
                .get()
            started += lists.0
            completed += lists.1
        }
        if plan.phases.contains(where: { if case .sessions = $0.workload { true } else { false } }) {
            report.checks.append(
                await Checks.sessions(
                    api: api.connection(), idPrefix: target.idPrefix, started: started, completed: completed))
        }
        if let commands = report.phases.first(where: { $0.name == "commands" }) {
            report.checks.append(Checks.commands(commands))
        }

        // Usage at the end, then close everything.
        let clientEnd = ProcessSample.read(pid: "self")
        if let clientStart, let clientEnd {
            let seconds = Double(monotonic() - clientStartTime) / 1e9
            report.client = ProcessUsage(from: clientStart, to: clientEnd, seconds: seconds)
            if progress.open > 0 {
                let added = Double(clientEnd.rssBytes) - Double(clientStart.rssBytes)
                report.clientKiBPerConnection = added / 1024 / Double(progress.open)
            }
        }
        if let pid = options.serverPid, let end = ProcessSample.read(pid: pid), let serverBaseline {
            let seconds = Double(monotonic() - clientStartTime) / 1e9
            report.server = ProcessUsage(from: serverBaseline, to: end, seconds: seconds, baseline: serverBaseline)
        } else if options.serverPid != nil {
            report.notes.append("server process \(options.serverPid!) could not be read from /proc")
        }
        for driver in drivers { try await driver.loop.submit { driver.closeAll() }.get() }
        try? await Task.sleep(for: .milliseconds(300))
        try await group.shutdownGracefully()
        return report
    }

    // MARK: Waiting and progress

    private func snapshot(_ drivers: [LoopDriver]) async throws -> LoopProgress {
        var total = LoopProgress()
        for driver in drivers { total.add(try await driver.loop.submit { driver.snapshot() }.get()) }
        return total
    }

    private func waitUntil(
        _ drivers: [LoopDriver], _ label: String, deadline: UInt64, since: UInt64,
        _ condition: (LoopProgress) -> Bool
    ) async throws -> LoopProgress {
        var lastPrint = monotonic()
        while true {
            let progress = try await snapshot(drivers)
            if condition(progress) || monotonic() >= deadline { return progress }
            if options.progressSeconds > 0, monotonic() - lastPrint >= UInt64(options.progressSeconds * 1e9) {
                printProgress(progress, label: label, since: since)
                lastPrint = monotonic()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func sleep(until time: UInt64, drivers: [LoopDriver], label: String, since: UInt64) async throws {
        var lastPrint = monotonic()
        var lastAnswered = -1
        while monotonic() < time {
            let remaining = time - monotonic()
            try await Task.sleep(for: .nanoseconds(Int64(min(remaining, 250_000_000))))
            if options.progressSeconds > 0, monotonic() - lastPrint >= UInt64(options.progressSeconds * 1e9) {
                let progress = try await snapshot(drivers)
                let seconds = Double(monotonic() - lastPrint) / 1e9
                let rate = lastAnswered < 0 ? nil : Double(progress.answered - lastAnswered) / seconds
                printProgress(progress, label: label, since: since, rate: rate)
                lastAnswered = progress.answered
                lastPrint = monotonic()
            }
        }
    }

    private func printProgress(_ p: LoopProgress, label: String, since: UInt64, rate: Double? = nil) {
        let elapsed = String(format: "%6.1f", Double(monotonic() - since) / 1e9)
        var line = "[\(elapsed)s] \(label): open \(p.open)/\(plan.stations) connecting \(p.connecting)"
        line += " booted \(p.booted) ready \(p.ready) failed \(p.failed) closed \(p.closed)"
        line += " | in flight \(p.inFlight) queued \(p.queued) answered \(p.answered)"
        if let rate { line += " (\(Int(rate))/s)" }
        line += " errors \(p.errors)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Monotonic nanoseconds (the same clock as the drivers').
func monotonic() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
