import CSMSCore
import Foundation
import Logging
import OCPP
import ServiceLifecycle
import Synchronization

/// Sends UpdateFirmware to stations whose boot was below a firmware rule's minimum when the rule
/// has a `firmwareUrl` (docs/security.md, "Boot validation policies"), through the command
/// engine.
///
/// Every `interval` it reads the security events stored since its last round and notes the
/// stations with a `csms.boot.firmware_below_minimum` event (at start it reads them all and
/// keeps those younger than `window`). A noted station that is connected gets one UpdateFirmware
/// when, by its stored boot, a rule with a URL still applies and the boot status allows it
/// (`BootPolicy.mayUpdateFirmware`: Accepted, or Pending on OCPP 1.6 only), and no UpdateFirmware
/// was recorded for it within `resendAfter` (the command records are the log, so a restart does
/// not repeat it). Events younger than `settle` wait for the next round, so that the boot's
/// answer is out before the CALL.
struct FirmwareFollowUpService: Service, CustomStringConvertible {
    var description: String { "FirmwareFollowUpService" }

    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine
    let policy: BootPolicy
    let clock: any WallClock
    let logger: Logger
    var interval: Duration = .seconds(2)
    var window: TimeInterval = 86_400
    var resendAfter: TimeInterval = 3600
    var settle: TimeInterval = 1
    private let state = Box()

    /// The cursor into the security events and the stations noted for a follow-up.
    final class Box: Sendable {
        let mutex = Mutex<(cursor: Int64?, noted: [ChargePointID: Date])>((nil, [:]))
        func withLock<T>(_ body: (inout (cursor: Int64?, noted: [ChargePointID: Date])) -> T) -> T {
            mutex.withLock { body(&$0) }
        }
    }

    static let eventType = "csms.boot.firmware_below_minimum"

    init(
        store: any CSMSStore, registry: ConnectionRegistry, engine: CommandEngine, policy: BootPolicy,
        clock: any WallClock, logger: Logger
    ) {
        self.store = store
        self.registry = registry
        self.engine = engine
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await followUp()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One round; returns the number of UpdateFirmware CALLs submitted.
    @discardableResult
    func followUp() async -> Int {
        let now = clock.now()
        await readEvents(now: now)
        let due = state.withLock { s in
            s.noted = s.noted.filter { $0.value >= now.addingTimeInterval(-window) }
            return s.noted.filter { $0.value <= now.addingTimeInterval(-settle) }.map(\.key)
        }
        var submitted = 0
        for id in due {
            guard let connection = registry.connection(for: id) else { continue }
            _ = state.withLock { $0.noted.removeValue(forKey: id) }
            do {
                guard let payload = try await payload(for: id, version: connection.session.version, now: now) else {
                    continue
                }
                _ = try await engine.submit(action: "UpdateFirmware", payload: payload, on: connection)
                submitted += 1
                connection.logger.notice("UpdateFirmware submitted after a boot below the minimum firmware")
            } catch {
                connection.logger.warning(
                    "UpdateFirmware could not be submitted", metadata: ["error": .string("\(error)")])
            }
        }
        return submitted
    }

    /// Notes the stations of new firmware events.
    private func readEvents(now: Date) async {
        while true {
            let cursor = state.withLock { $0.cursor }
            let page: [SecurityEvent]
            do {
                page = try await store.securityEvents(chargePointId: nil, after: cursor, limit: 500)
            } catch {
                logger.error(
                    "security events could not be read for firmware follow-ups", metadata: ["error": "\(error)"])
                return
            }
            state.withLock { s in
                for event in page
                where event.type == Self.eventType && event.occurredAt >= now.addingTimeInterval(-window) {
                    s.noted[event.chargePointId] = max(s.noted[event.chargePointId] ?? .distantPast, event.occurredAt)
                }
                if let last = page.last?.id { s.cursor = last }
            }
            if page.count < 500 { return }
        }
    }

    /// The UpdateFirmware payload for the station, or `nil` when none is due.
    private func payload(for id: ChargePointID, version: OCPPVersion, now: Date) async throws -> JSONValue? {
        guard let point = try await store.chargePoint(id), let boot = point.boot, let status = point.bootStatus,
            let rule = policy.firmwareRule(vendor: boot.vendor, model: boot.model), let url = rule.firmwareUrl,
            rule.isBelowMinimum(boot.firmwareVersion),
            BootPolicy.mayUpdateFirmware(status: status, isOCPP16: version.family == .v16)
        else { return nil }
        let recent = try await store.commands(of: id, before: nil, limit: 200).contains {
            $0.action == "UpdateFirmware" && $0.createdAt >= now.addingTimeInterval(-resendAfter)
        }
        guard !recent else { return nil }
        let retrieve = JSONValue.string(OCPPDateTime(now).text)
        if version.family == .v16 { return .object(["location": .string(url), "retrieveDate": retrieve]) }
        // 2.x requestId: chosen by the CSMS; FirmwareStatusNotification refers to it.
        let requestId = Int(now.timeIntervalSince1970) % 1_000_000_000
        return .object([
            "requestId": .number(JSONNumber(requestId)),
            "firmware": .object(["location": .string(url), "retrieveDateTime": retrieve]),
        ])
    }
}
