import ArgumentParser
import CSMSLoadKit
import Foundation
import NIOCore
import NIOSSL

/// `csms-load SCENARIO [options]`: simulates a fleet of charge points against a CSMS and
/// reports throughput, latency percentiles per action, errors, and the server's CPU and RSS.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csms-load",
        abstract: "Fleet simulator and load generator for OCPP central systems (docs/benchmarks.md).",
        discussion: "Scenarios: \(ScenarioName.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "The scenario preset.")
    var scenario: String

    @Option(help: "WebSocket base URL; the station id is appended.")
    var url = "ws://127.0.0.1:9000/ocpp"

    @Option(help: "Number of stations (default: the preset's).")
    var stations: Int?

    @Option(help: "Seconds over which the connections are spread.")
    var rampUp: Double?

    @Option(help: "Random extra delay per station start, seconds (boot-storm-jittered: 5).")
    var jitter: Double?

    @Option(help: "Recorded seconds per phase (boot storms: the longest wait for all boots).")
    var duration: Double?

    @Option(help: "Unrecorded seconds at the start of each phase.")
    var warmup: Double?

    @Option(
        help: "Rates per second, comma-separated: telemetry's phases; mixed uses the first; status-loop's paced phases."
    )
    var rates: String?

    @Option(help: "MeterValues per session.")
    var meterValues: Int?

    @Option(help: "Share of OCPP 2.0.1 stations, 0...1 (the rest speak 1.6).")
    var share201: Double?

    @Option(help: "Connectors per station (a StatusNotification each after boot).")
    var connectors: Int?

    @Option(help: "Seconds between heartbeats of each station (0: none).")
    var heartbeat: Double?

    @Option(help: "Concurrent API clients (commands).")
    var concurrency: Int?

    @Option(help: "API commands per second (mixed).")
    var commandRate: Double?

    @Option(help: "Seconds a CALL may stay unanswered before it counts as a timeout.")
    var timeout: Double = 30

    @Option(help: "Event loop threads of the tool.")
    var threads = 1

    @Option(help: "Local source addresses: a count N for 127.0.0.1...127.0.0.N, or a comma-separated list.")
    var sourceAddresses: String?

    @Option(help: "Station id prefix (default: load-<random>, so runs never share ids).")
    var idPrefix: String?

    @Option(help: "HTTP Basic password of every station (security profiles 1 and 2).")
    var password: String?

    @Flag(help: "Accept answers without the fields a CSMS must send (the echo server answers {} to everything).")
    var lenientAnswers = false

    @Flag(help: "Connect with TLS (wss); see --ca-file.")
    var tls = false

    @Option(help: "PEM file of the CA to trust for --tls.")
    var caFile: String?

    @Option(help: "Operator API base URL (default: the WebSocket URL's host and port over http).")
    var apiURL: String?

    @Option(help: "Operator API bearer token (default: $CSMS_API_TOKEN).")
    var apiToken: String?

    @Option(help: "Process id of the server, for its CPU and RSS from /proc.")
    var serverPid: String?

    @Option(help: "Name of the server under test in the report.")
    var label = "csms"

    @Option(help: "Write the JSON report to this file.")
    var json: String?

    @Option(help: "Append the markdown table to this file.")
    var markdown: String?

    @Flag(help: "telemetry: run every rate, also those above the knee (by default the run stops at the knee).")
    var allRates = false

    @Option(help: "Seconds between progress lines on stderr (0: none).")
    var progress: Double = 1

    @Option(help: "Seed of the jitter and workload choices.")
    var seed: UInt64 = 1

    func validate() throws {
        if let stations, stations < 1 { throw ValidationError("--stations must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let share201, !(0...1).contains(share201) { throw ValidationError("--share201 must be within 0...1") }
    }

    func run() async throws {
        var options = ScenarioOptions()
        options.stations = stations
        options.rampUpSeconds = rampUp
        options.jitterSeconds = jitter
        options.durationSeconds = duration
        options.warmupSeconds = warmup
        options.rates = try rates.map { text in
            try text.split(separator: ",").map {
                guard let rate = Double($0.trimmingCharacters(in: .whitespaces)), rate > 0 else {
                    throw ValidationError("--rates: '\($0)' is not a positive number")
                }
                return rate
            }
        }
        options.meterValuesPerSession = meterValues
        options.share201 = share201
        options.connectors = connectors
        options.heartbeatSeconds = heartbeat
        options.concurrency = concurrency
        options.commandRate = commandRate
        guard let name = ScenarioName(rawValue: scenario) else {
            throw ValidationError("unknown scenario '\(scenario)'; one of \(ScenarioName.allCases.map(\.rawValue))")
        }
        let plan = ScenarioPlan(name, options: options)

        guard let components = URLComponents(string: url), let host = components.host,
            components.scheme == "ws" || components.scheme == "wss"
        else { throw ValidationError("--url must be ws://HOST:PORT/PATH or wss://...") }
        let secure = tls || components.scheme == "wss"
        let port = components.port ?? (secure ? 443 : 80)
        var path = components.path.isEmpty ? "/" : components.path
        if !path.hasSuffix("/") { path += "/" }
        var tlsContext: NIOSSLContext?
        if secure {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile { configuration.trustRoots = .file(caFile) }
            tlsContext = try NIOSSLContext(configuration: configuration)
        }
        let prefix = idPrefix ?? "load-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let target = TargetConfiguration(
            host: host, port: port, pathPrefix: path, idPrefix: prefix, password: password, tls: tlsContext,
            sourceAddresses: try Self.sourceAddresses(sourceAddresses), timeoutNanoseconds: UInt64(timeout * 1e9),
            checkAnswers: !lenientAnswers)

        let api = URLComponents(string: apiURL ?? "http://\(host):\(port)")
        let parameters: [String: String] = [
            "stations": String(plan.stations), "rampUpSeconds": String(plan.rampUpSeconds),
            "jitterSeconds": String(plan.jitterSeconds), "share201": String(plan.share201),
            "connectors": String(plan.connectors), "heartbeatSeconds": String(plan.heartbeatSeconds),
            "phases": plan.phases.map(\.name).joined(separator: "; "), "threads": String(threads),
            "timeoutSeconds": String(timeout), "idPrefix": prefix, "tls": String(secure),
            "sourceAddresses": String(target.sourceAddresses.count),
        ]
        let runOptions = RunOptions(
            label: label, targetURL: url, threads: threads, serverPid: serverPid, apiHost: api?.host ?? host,
            apiPort: api?.port ?? port, apiToken: apiToken ?? ProcessInfo.processInfo.environment["CSMS_API_TOKEN"],
            progressSeconds: progress, allRates: allRates, seed: seed, parameters: parameters)
        let report = try await Fleet(plan: plan, target: target, options: runOptions).run()

        print(report.text())
        if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
        if let markdown {
            let text = report.markdown() + "\n\n"
            if let handle = FileHandle(forWritingAtPath: markdown) {
                handle.seekToEndOfFile()
                handle.write(Data(text.utf8))
                try handle.close()
            } else {
                try Data(text.utf8).write(to: URL(fileURLWithPath: markdown))
            }
        }
        if !report.checksPassed { throw ExitCode(2) }
    }

    /// `N` → 127.0.0.1 ... 127.0.0.N; otherwise a comma-separated list of addresses.
    static func sourceAddresses(_ text: String?) throws -> [SocketAddress] {
        guard let text, !text.isEmpty else { return [] }
        if let count = Int(text) {
            guard (1...254).contains(count) else { throw ValidationError("--source-addresses: 1...254") }
            return try (1...count).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
        }
        return try text.split(separator: ",").map {
            try SocketAddress(ipAddress: $0.trimmingCharacters(in: .whitespaces), port: 0)
        }
    }
}
