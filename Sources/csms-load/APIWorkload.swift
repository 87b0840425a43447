import CSMSLoadKit
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The operator-API side of a phase: commands to connected stations (`commands`, `mixed`).
struct APIWorkload: Sendable {
    let group: any EventLoopGroup
    let options: RunOptions

    /// The command every scenario sends: ChangeAvailability to Operative, harmless and
    /// answered `{"status": "Accepted"}` by the simulated stations.
    static let commandAction = "ChangeAvailability"

    /// The request payload of the command for a station of `version`.
    static func commandBody(_ version: StationProtocol) -> String {
        switch version {
        case .v16: #"{"connectorId":0,"type":"Operative"}"#
        case .v201: #"{"operationalStatus":"Operative"}"#
        }
    }

    /// A fresh API connection.
    func connection() -> APIConnection {
        APIConnection(group: group, host: options.apiHost, port: options.apiPort, token: options.apiToken)
    }

    /// Runs the API part of `workload` until `window` ends; what was sent inside the window is recorded.
    func run(_ workload: Workload, stations: [StationRef], window: Range<UInt64>) async -> PhaseRecorder {
        guard !stations.isEmpty else { return PhaseRecorder() }
        switch workload {
        case .commands(let concurrency):
            return await withTaskGroup(of: PhaseRecorder.self) { group in
                for worker in 0..<max(1, concurrency) {
                    group.addTask {
                        await closedLoop(
                            worker: worker, workers: max(1, concurrency), stations: stations, window: window)
                    }
                }
                var total = PhaseRecorder()
                for await recorder in group { total.merge(recorder) }
                return total
            }
        case .mixed(_, let commandRate) where commandRate > 0:
            return await openLoop(rate: commandRate, stations: stations, window: window)
        default:
            return PhaseRecorder()
        }
    }

    private func closedLoop(worker: Int, workers: Int, stations: [StationRef], window: Range<UInt64>) async
        -> PhaseRecorder
    {
        var recorder = PhaseRecorder()
        let connection = connection()
        var next = worker
        while monotonic() < window.upperBound {
            let station = stations[next % stations.count]
            next += workers
            let start = monotonic()
            await send(to: station, over: connection, start: start, window: window, into: &recorder)
        }
        await connection.close()
        return recorder
    }

    private func openLoop(rate: Double, stations: [StationRef], window: Range<UInt64>) async -> PhaseRecorder {
        var schedule = ArrivalSchedule(start: monotonic(), ratePerSecond: rate)
        let total = RecorderBox()
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while monotonic() < window.upperBound {
                for due in schedule.take(dueBy: monotonic(), before: window.upperBound) {
                    let station = stations[next % stations.count]
                    next += 1
                    group.addTask {
                        var recorder = PhaseRecorder()
                        let connection = connection()
                        await send(to: station, over: connection, start: due, window: window, into: &recorder)
                        await connection.close()
                        total.recorder.withLock { $0.merge(recorder) }
                    }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        return total.recorder.withLock { $0 }
    }

    /// Sends one command and records its outcome (latency from `start`, when in `window`).
    private func send(
        to station: StationRef, over connection: APIConnection, start: UInt64, window: Range<UInt64>,
        into recorder: inout PhaseRecorder
    ) async {
        let action = "API \(Self.commandAction)"
        let path = "/api/v1/charge-points/\(station.id)/commands/\(Self.commandAction)"
        let recorded = window.contains(start)
        do {
            let response = try await connection.request(.POST, path, body: Self.commandBody(station.version))
            recorder.count("API commands HTTP \(response.status)")
            guard recorded else { return }
            if response.status == 200 {
                let status = (response.json?["response"] as? [String: Any])?["status"] as? String
                if status == "Accepted" {
                    recorder.record(action, nanoseconds: monotonic() - start)
                } else {
                    recorder.recordError(action, kind: "answer not Accepted")
                }
            } else {
                recorder.recordError(action, kind: "HTTP \(response.status)")
            }
        } catch {
            recorder.count("API commands failed")
            if recorded { recorder.recordError(action, kind: "API connection failed") }
        }
    }
}

/// A recorder shared by the tasks of an open-loop API workload.
private final class RecorderBox: Sendable {
    let recorder = Mutex(PhaseRecorder())
}

/// Correctness checks after a run.
enum Checks {
    /// Sessions: every session the stations completed (stop answered) is stored exactly once
    /// and Completed, and nothing else is stored for these stations (issue #4's
    /// `GET /api/v1/transactions`). Skipped when the endpoint does not exist (404).
    static func sessions(api: APIConnection, idPrefix: String, started: [String], completed: [String]) async
        -> CheckResult
    {
        let name = "sessions stored exactly once"
        var stored: [String: [String]] = [:]  // "chargePoint|transaction" -> statuses
        var cursor: String?
        var pages = 0
        repeat {
            var path = "/api/v1/transactions?limit=500"
            if let cursor {
                path += "&cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)
            }
            let response: APIResponse
            do {
                response = try await api.request(.GET, path)
            } catch {
                return CheckResult(name: name, status: .skipped, detail: "GET /api/v1/transactions failed: \(error)")
            }
            if response.status == 404 {
                return CheckResult(
                    name: name, status: .skipped,
                    detail: "GET /api/v1/transactions answered 404: this server has no transactions API yet (issue #4)")
            }
            guard response.status == 200, let json = response.json, let items = json["items"] as? [[String: Any]]
            else {
                return CheckResult(
                    name: name, status: .skipped,
                    detail: "GET /api/v1/transactions answered HTTP \(response.status) without an items list")
            }
            for item in items {
                guard let chargePoint = item["chargePointId"] as? String, chargePoint.hasPrefix(idPrefix + "-") else {
                    continue
                }
                let transaction = (item["transactionId"] as? String) ?? (item["transactionId"].map { "\($0)" } ?? "?")
                stored["\(chargePoint)|\(transaction)", default: []].append((item["status"] as? String) ?? "?")
            }
            cursor = json["nextCursor"] as? String
            pages += 1
        } while cursor != nil && pages < 100_000
        await api.close()
        return SessionCheck.compare(stored: stored, started: started, completed: completed, name: name)
    }

    /// Commands: every command the API answered 200 reached a station exactly once.
    static func commands(_ phase: PhaseReport) -> CheckResult {
        let name = "commands delivered exactly once"
        let answered = phase.counters["API commands HTTP 200"] ?? 0
        let received = phase.counters["commands received by stations"] ?? 0
        let sent = phase.counters.filter { $0.key.hasPrefix("API commands HTTP") }.values.reduce(0, +)
        if sent > 0 && (phase.counters["API commands HTTP 404"] ?? 0) == sent {
            return CheckResult(
                name: name, status: .skipped,
                detail: "POST /api/v1/charge-points/{id}/commands/{Action} answered 404 to all \(sent) commands: "
                    + "this server has no commands API yet (issue #6)")
        }
        let detail = "\(sent) sent, \(answered) answered 200, \(received) CALLs received by the stations"
        return CheckResult(name: name, status: received == answered && sent > 0 ? .passed : .failed, detail: detail)
    }
}
