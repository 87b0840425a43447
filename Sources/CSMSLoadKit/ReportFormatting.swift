public import Foundation

extension LoadReport {
    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The report as text for a terminal.
    public func text() -> String {
        var lines: [String] = []
        lines.append("csms-load \(scenario) against \(label) (\(target)), started \(startedAt)")
        let parameterText = parameters.keys.sorted().map { "\($0)=\(parameters[$0]!)" }.joined(separator: " ")
        lines.append("parameters: \(parameterText)")
        lines.append(
            "setup: \(setup.accepted)/\(setup.stations) stations Accepted in \(Self.number(setup.seconds)) s"
                + (setup.secondsUntilAllAccepted.map { ", all Accepted after \(Self.number($0)) s" } ?? "")
                + (setup.failures.isEmpty ? "" : ", failures: \(Self.kinds(setup.failures))"))
        lines += Self.table(setup.actions).map { "  " + $0 }
        for phase in phases {
            var head =
                "phase \(phase.name): \(Self.number(phase.throughput)) answered/s over \(Self.number(phase.seconds)) s"
            if let rate = phase.offeredRate { head += " (offered \(Self.number(rate))/s)" }
            if !phase.errors.isEmpty { head += ", errors: \(Self.kinds(phase.errors))" }
            if !phase.counters.isEmpty { head += "; counters: \(Self.kinds(phase.counters))" }
            if let server = phase.server {
                head += ", server CPU \(Self.number(server.cpuPercent))% RSS \(Self.number(server.rssMiB)) MiB"
            }
            if let client = phase.client { head += ", load tool CPU \(Self.number(client.cpuPercent))%" }
            lines.append(head)
            if let steadiness = phase.steadiness { lines.append("  " + Self.describe(steadiness)) }
            lines += Self.table(phase.actions).map { "  " + $0 }
        }
        if let knee {
            let kneeText = knee.kneeRate.map { "\(Self.number($0))/s" } ?? "not reached"
            let goodText = knee.lastGoodRate.map { "\(Self.number($0))/s" } ?? "none"
            lines.append("knee (p99 > \(Self.number(knee.thresholdMs)) ms): \(kneeText); last good rate \(goodText)")
        }
        if let server {
            var text = "server: CPU \(Self.number(server.cpuPercent))% of a core, RSS \(Self.number(server.rssMiB)) MiB"
            text += " (peak \(Self.number(server.peakRSSMiB)) MiB)"
            if let perConnection = server.kibPerConnection(setup.accepted) {
                text += ", \(Self.number(perConnection)) KiB per connection"
            }
            lines.append(text)
        }
        if let client {
            var text = "load tool: CPU \(Self.number(client.cpuPercent))%, RSS \(Self.number(client.rssMiB)) MiB"
            if let perConnection = clientKiBPerConnection {
                text += ", \(Self.number(perConnection)) KiB per connection"
            }
            lines.append(text)
        }
        for check in checks {
            lines.append("check \(check.name): \(check.status.rawValue.uppercased()) — \(check.detail)")
        }
        for note in notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// A markdown table: one row per phase (or the setup for boot storms) with the overall
    /// throughput and latencies, for docs/benchmarks.md.
    public func markdown() -> String {
        var lines = [
            "| label | scenario | phase | offered/s | answered/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | server CPU % | server RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        func row(_ phase: String, _ offered: Double?, _ action: ActionReport?, _ errors: Int, _ usage: ProcessUsage?) {
            func cell(_ value: Double?) -> String { value.map { Self.number($0) } ?? "-" }
            var cells: [String] = [label, scenario, phase, cell(offered)]
            cells += [cell(action?.perSecond), cell(action?.p50), cell(action?.p90), cell(action?.p99)]
            cells += [cell(action?.p999), String(errors), cell(usage?.cpuPercent), cell(usage?.rssMiB)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        let setupErrors = setup.failures.values.reduce(0, +)
        let setupUsage = phases.isEmpty ? server : nil  // a boot storm: the run is the setup
        row("setup (\(setup.accepted)/\(setup.stations) Accepted)", nil, setup.actions.first, setupErrors, setupUsage)
        for phase in phases {
            row(phase.name, phase.offeredRate, phase.overall, phase.errors.values.reduce(0, +), phase.server ?? server)
        }
        lines.append("")
        var facts = ["\(label): \(setup.accepted)/\(setup.stations) stations Accepted"]
        if let seconds = setup.secondsUntilAllAccepted { facts.append("all Accepted after \(Self.number(seconds)) s") }
        if !setup.failures.isEmpty { facts.append("setup failures: \(Self.kinds(setup.failures))") }
        if let server {
            facts.append("server peak RSS \(Self.number(server.peakRSSMiB)) MiB")
            if let perConnection = server.kibPerConnection(setup.accepted) {
                facts.append("\(Self.number(perConnection)) KiB RSS per connection")
            }
        }
        if let knee {
            facts.append(
                "knee (p99 > \(Self.number(knee.thresholdMs)) ms) at "
                    + (knee.kneeRate.map { Self.number($0) + "/s" } ?? "none of the rates"))
        }
        for phase in phases where !phase.counters.isEmpty {
            facts.append("\(phase.name): \(Self.kinds(phase.counters))")
        }
        for phase in phases {
            if let client = phase.client {
                facts.append("\(phase.name): load tool CPU \(Self.number(client.cpuPercent))%")
            }
            if let steadiness = phase.steadiness { facts.append("\(phase.name): \(Self.describe(steadiness))") }
        }
        for check in checks { facts.append("check \(check.name): \(check.status.rawValue) (\(check.detail))") }
        lines.append(facts.joined(separator: "; ") + ".")
        return lines.joined(separator: "\n")
    }

    /// The steadiness figures in words.
    static func describe(_ steadiness: Steadiness) -> String {
        "answers per 100 ms as a rate: slowest \(number(steadiness.minPerSecond))/s, "
            + "p10 \(number(steadiness.p10PerSecond))/s, median \(number(steadiness.medianPerSecond))/s, "
            + "variation \(String(format: "%.2f", steadiness.variation))"
    }

    /// Rows of a latency table.
    static func table(_ actions: [ActionReport]) -> [String] {
        guard !actions.isEmpty else { return [] }
        let width = max(12, actions.map(\.action.count).max() ?? 0)
        func pad(_ text: String, _ n: Int) -> String { text + String(repeating: " ", count: max(0, n - text.count)) }
        func left(_ text: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - text.count)) + text }
        var rows = [
            pad("action", width) + left("count", 9) + left("/s", 10) + left("p50", 9) + left("p90", 9)
                + left("p99", 9) + left("p99.9", 9) + left("max", 9) + "  errors"
        ]
        for action in actions {
            rows.append(
                pad(action.action, width) + left(String(action.count), 9) + left(number(action.perSecond), 10)
                    + left(number(action.p50), 9) + left(number(action.p90), 9) + left(number(action.p99), 9)
                    + left(number(action.p999), 9) + left(number(action.max), 9) + "  "
                    + (action.errors.isEmpty ? "-" : kinds(action.errors)))
        }
        return rows
    }

    /// A number with at most 3 decimals, fewer for large values.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let magnitude = abs(value)
        let digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        return String(format: "%.\(digits)f", value)
    }

    /// `kind=n, kind=n` sorted by kind.
    static func kinds(_ counts: [String: Int]) -> String {
        counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: ", ")
    }
}
