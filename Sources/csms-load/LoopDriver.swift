import CSMSLoadKit
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket

/// What the coordinator sees of one event loop's stations while a run goes on.
struct LoopProgress: Sendable {
    var connecting = 0
    var open = 0
    var booted = 0
    var ready = 0
    var failed = 0
    var closed = 0
    var inFlight = 0
    var queued = 0
    var answered = 0
    var errors = 0
    /// When the last station of this loop was Accepted (monotonic nanoseconds).
    var lastBootedAt: UInt64 = 0

    mutating func add(_ other: LoopProgress) {
        connecting += other.connecting
        open += other.open
        booted += other.booted
        ready += other.ready
        failed += other.failed
        closed += other.closed
        inFlight += other.inFlight
        queued += other.queued
        answered += other.answered
        errors += other.errors
        lastBootedAt = max(lastBootedAt, other.lastBootedAt)
    }
}

/// The stations of one event loop, their timer (arrivals, heartbeats, timeouts, connects)
/// and their recorders.
///
/// Confined to `loop`: the coordinator reaches it only through `loop.submit`, the stations
/// and NIO callbacks run on it (hence the unchecked `Sendable`).
final class LoopDriver: @unchecked Sendable {
    let loop: any EventLoop
    let plan: ScenarioPlan
    let target: TargetConfiguration
    /// This loop's share of the open-loop rates (1 / number of loops).
    let rateShare: Double

    private(set) var stations: [Station] = []
    private var connectQueue: [(due: UInt64, station: Station)] = []
    private var connectHead = 0
    private var tickTask: RepeatedTask?
    private var ticks = 0

    /// The setup recorder, then each phase's recorder.
    var current = PhaseRecorder()
    private var window: Range<UInt64>?
    private var workload: Workload = .idle
    private var generating = false
    /// Heartbeats run from the setup on, and stop with the last phase's workload.
    private var heartbeats = true
    private var arrivals: ArrivalSchedule?
    private var roundRobin = 0
    private var random: SplitMix64
    private var progress = LoopProgress()
    private var nextHeartbeat: [UInt64] = []
    /// Transactions per station id: started and completed (answered stop), for the sessions check.
    private(set) var startedTransactions: [String] = []
    private(set) var completedTransactions: [String] = []

    init(loop: any EventLoop, plan: ScenarioPlan, target: TargetConfiguration, rateShare: Double, seed: UInt64) {
        self.loop = loop
        self.plan = plan
        self.target = target
        self.rateShare = rateShare
        self.random = SplitMix64(seed: seed)
    }

    /// Monotonic nanoseconds.
    func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: Coordinator entry points (on the loop)

    /// Creates the stations `indices`, to connect at `start + offset` each.
    func prepare(indices: [Int], offsets: [UInt64], start: UInt64) {
        for (index, offset) in zip(indices, offsets) {
            let station = Station(
                index: index, id: target.stationId(index),
                version: StationProtocol.of(station: index, share201: plan.share201), driver: self)
            station.position = stations.count
            stations.append(station)
            connectQueue.append((start + offset, station))
        }
        connectQueue.sort { $0.due < $1.due }
        nextHeartbeat = Array(repeating: .max, count: stations.count)
        tickTask = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { _ in
            self.tick()
        }
    }

    func snapshot() -> LoopProgress {
        var snapshot = progress
        for station in stations {
            switch station.state {
            case .waiting: break
            case .connecting: snapshot.connecting += 1
            case .booting, .settingUp: snapshot.open += 1
            case .ready:
                snapshot.open += 1
                snapshot.ready += 1
            case .failed: snapshot.failed += 1
            case .closed: snapshot.closed += 1
            }
            if station.isBusy { snapshot.inFlight += 1 }
            // A closed station's queue is never sent: it does not hold up the drain.
            if station.state != .closed && station.state != .failed { snapshot.queued += station.queued }
        }
        return snapshot
    }

    /// Ends the setup: its recorder.
    func takeSetup() -> PhaseRecorder {
        let setup = current
        current = PhaseRecorder()
        return setup
    }

    /// Starts `phase`'s workload now; requests due in `window` are recorded.
    func begin(_ workload: Workload, window: Range<UInt64>) {
        self.workload = workload
        self.window = window
        generating = true
        heartbeats = true
        current = PhaseRecorder(timelineStart: window.lowerBound)
        let start = now()
        switch workload {
        case .meterValues(let rate), .mixed(let rate, _), .pacedStatus(let rate):
            arrivals = ArrivalSchedule(start: start, ratePerSecond: max(0.001, rate * rateShare))
        case .statusLoop:
            for station in stations where station.state == .ready { continueStatusLoop(station) }
        case .sessions(let meterValues):
            for station in stations where station.state == .ready {
                station.beginSession(meterValues: meterValues, due: start)
            }
        case .idle, .commands:
            break
        }
    }

    /// Stops making new requests (what is queued or outstanding still completes).
    func stopGenerating() {
        generating = false
        heartbeats = false
        arrivals = nil
    }

    /// The phase's recorder; recording stops.
    func end() -> PhaseRecorder {
        window = nil
        let recorder = current
        current = PhaseRecorder()
        return recorder
    }

    /// Ready stations: (index, id, version).
    func readyStations() -> [StationRef] {
        stations.filter { $0.state == .ready }.map { StationRef(index: $0.index, id: $0.id, version: $0.version) }
    }

    /// Closes every connection.
    func closeAll() {
        tickTask?.cancel()
        tickTask = nil
        connectQueue.removeAll()
        for station in stations { station.close() }
    }

    // MARK: Timer

    private func tick() {
        let now = now()
        while connectHead < connectQueue.count, connectQueue[connectHead].due <= now {
            connect(connectQueue[connectHead].station)
            connectHead += 1
        }
        if generating, var schedule = arrivals {
            let due = schedule.take(dueBy: now, before: window?.upperBound)
            arrivals = schedule
            for time in due { arrive(at: time) }
        }
        ticks += 1
        if ticks % 100 == 0 { sweep(now) }
    }

    /// Timeouts and heartbeats, every 100 ms.
    private func sweep(_ now: UInt64) {
        let timeout = target.timeoutNanoseconds
        for station in stations where station.isBusy { station.checkTimeout(now: now, timeout: timeout) }
        guard plan.heartbeatSeconds > 0, heartbeats else { return }
        let interval = UInt64(plan.heartbeatSeconds * 1_000_000_000)
        for (position, station) in stations.enumerated() where nextHeartbeat[position] <= now {
            // Due now, not at the planned instant: the sweep runs every 100 ms, and that lag is the tool's.
            if station.state == .ready { station.enqueue(.heartbeat, due: now) }
            nextHeartbeat[position] = max(nextHeartbeat[position] + interval, now)
        }
    }

    private func nextReadyStation() -> Station? {
        for _ in 0..<stations.count {
            let station = stations[roundRobin % stations.count]
            roundRobin &+= 1
            if station.state == .ready { return station }
        }
        return nil
    }

    private func arrive(at due: UInt64) {
        guard let station = nextReadyStation() else {
            recordError(workloadAction, kind: "no ready station", due: due)
            return
        }
        switch workload {
        case .mixed:
            let draw = random.nextUnit()
            if draw < 0.1 && !station.inSession {
                station.beginSession(meterValues: 3, due: due)
            } else if draw < 0.55 {
                station.enqueue(.heartbeat, due: due)
            } else {
                station.enqueue(.status(connector: 1, charging: draw < 0.75), due: due)
            }
        case .pacedStatus:
            station.enqueue(nextStatus(), due: due)
        default:
            station.enqueue(.meterValues, due: due)
        }
    }

    private var workloadAction: String {
        switch workload {
        case .mixed: "mixed"
        case .pacedStatus: "StatusNotification"
        default: "MeterValues"
        }
    }

    private func continueStatusLoop(_ station: Station) {
        station.enqueue(nextStatus(), due: now())
    }

    /// The status loops' StatusNotification: connector 1, charging or not at random.
    private func nextStatus() -> Step {
        .status(connector: 1, charging: random.next() & 1 == 0)
    }

    // MARK: Connecting

    private func connect(_ station: Station) {
        station.state = .connecting
        station.connectStarted = now()
        let target = self.target
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = target.tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: target.tlsHostname))
                    }
                    try pipeline.addHandler(HandshakeHandler(station: station, request: target.handshake(for: station)))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        if let source = target.sourceAddress(for: station.index) { bootstrap = bootstrap.bind(to: source) }
        bootstrap.connect(host: target.host, port: target.port).whenFailure { error in
            self.stationFailed(station, reason: "connect failed (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return "errno \(error.errnoCode)" }
        if error is ChannelError { return "\(error)" }
        return String(describing: type(of: error))
    }

    // MARK: Station callbacks

    func stationOpened(_ station: Station) {
        station.state = .booting
        current.record("connect", nanoseconds: now() &- station.connectStarted)
    }

    func stationBooted(_ station: Station) {
        progress.booted += 1
        progress.lastBootedAt = now()
    }

    func stationReady(_ station: Station) {
        if plan.heartbeatSeconds > 0 {
            let interval = plan.heartbeatSeconds * 1_000_000_000
            nextHeartbeat[station.position] = now() + UInt64(random.nextUnit() * interval)
        }
        if generating { resumeWorkload(station) }
    }

    func stationFailed(_ station: Station, reason: String) {
        guard station.state != .failed && station.state != .closed else { return }
        station.state = .failed
        current.recordError("setup", kind: reason)
        station.close()
    }

    func stationClosed(_ station: Station) {
        if generating { current.count("stations disconnected") }
    }

    func recordSetupError(_ kind: String) {
        current.count(kind)
    }

    func commandReceived(_ station: Station, action: String) {
        current.count("commands received by stations")
    }

    func sessionStarted(_ station: Station, transactionId: String) {
        startedTransactions.append("\(station.id)|\(transactionId)")
    }

    func sessionCompleted(_ station: Station, transactionId: String) {
        completedTransactions.append("\(station.id)|\(transactionId)")
        if inWindow(now()) { current.count("sessions completed") }
        resumeWorkload(station)
    }

    func sessionAbandoned(_ station: Station) {
        current.count("sessions abandoned")
        guard generating, case .sessions = workload else { return }
        // Not at once: a station whose sessions keep failing would spin.
        loop.scheduleTask(in: .milliseconds(100)) { self.resumeWorkload(station) }
    }

    func stepDone(_ station: Station) {
        if generating, case .statusLoop = workload, !station.isBusy, station.queued == 0 {
            continueStatusLoop(station)
        }
    }

    private func resumeWorkload(_ station: Station) {
        guard generating, station.state == .ready else { return }
        switch workload {
        case .sessions(let meterValues): station.beginSession(meterValues: meterValues, due: now())
        case .statusLoop: if !station.isBusy && station.queued == 0 { continueStatusLoop(station) }
        default: break
        }
    }

    // MARK: Recording

    private func inWindow(_ due: UInt64) -> Bool {
        guard let window else { return true }  // setup: everything counts
        return window.contains(due)
    }

    func record(_ action: String, due: UInt64, answeredAt: UInt64) {
        progress.answered += 1
        current.recordAnswered(at: answeredAt)
        guard inWindow(due) else { return }
        current.record(action, nanoseconds: answeredAt &- due)
    }

    func recordError(_ action: String, kind: String, due: UInt64) {
        progress.errors += 1
        guard inWindow(due) else { return }
        current.recordError(action, kind: kind)
    }
}

/// A station as the coordinator knows it.
struct StationRef: Sendable {
    var index: Int
    var id: String
    var version: StationProtocol
}
