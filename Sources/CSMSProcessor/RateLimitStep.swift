import CSMSCore
import Foundation
import Logging
import OCPP
import Synchronization

/// Per charge point rate limits on inbound CALLs (docs/processor.md, "Rate limiting").
public struct RateLimitSettings: Sendable, Equatable {
    /// Messages per second a station may send, sustained (transaction messages excepted).
    public var rate: Double
    /// Messages a station may send at once above `rate`.
    public var burst: Int
    /// Transaction messages per second (StartTransaction, StopTransaction, MeterValues,
    /// TransactionEvent). Over this they are still processed (invariant 2: stations discard
    /// transaction messages after errors) and only counted.
    public var transactionRate: Double
    /// The burst of transaction messages.
    public var transactionBurst: Int
    /// A station whose messages are refused this many times in a row is disconnected with
    /// close code 1008 (policy violation) and a security event is logged. "In a row" means
    /// without a pause of `RateLimitStep.refusalPause` (one second) free of refusals: the odd
    /// message admitted as a token comes back does not end a flood.
    public var disconnectAfter: Int

    /// Settings; every parameter has the default described in docs/configuration.md.
    public init(
        rate: Double = 20, burst: Int = 100, transactionRate: Double = 200, transactionBurst: Int = 1000,
        disconnectAfter: Int = 100
    ) {
        self.rate = rate
        self.burst = burst
        self.transactionRate = transactionRate
        self.transactionBurst = transactionBurst
        self.disconnectAfter = disconnectAfter
    }
}

/// Pipeline step: a token bucket per charge point for ordinary messages and another for
/// transaction messages. An ordinary message over the limit is answered `GenericError`
/// (nothing is stored and the handler does not run); a transaction message over the limit is
/// processed anyway and counted. After `disconnectAfter` refusals in a row (no second free of
/// refusals in between) the outcome asks the connection to close with 1008.
///
/// The buckets live in 16 shards, each behind its own lock held for a few instructions, so
/// stations do not wait on one another; idle stations with full buckets are forgotten.
///
/// The settings may be live (configuration reload): every message reads the current ones;
/// `nil` admits everything, and a station's buckets are rebuilt (full) when the rate or
/// burst they were made with is no longer the current one.
struct RateLimitStep: CallStep {
    private let source: @Sendable () -> RateLimitSettings?
    let metrics: ProcessorMetrics
    /// Where the `csms.flooding` security event of a disconnect is stored (`nil`: logged only).
    let store: (any CSMSStore)?
    private let shards: [Shard]
    private let now: @Sendable () -> Double

    /// One lock and the stations hashed to it.
    final class Shard: Sendable {
        let entries = Mutex<[ChargePointID: StationLimits]>([:])
    }

    /// The state of one station.
    struct StationLimits: Sendable {
        var ordinary: TokenBucket
        var transactions: TokenBucket
        var refusedInARow = 0

        /// Whether the buckets were made with the rates and bursts of `settings`.
        func matches(_ settings: RateLimitSettings) -> Bool {
            ordinary.rate == settings.rate && ordinary.burst == Double(settings.burst)
                && transactions.rate == settings.transactionRate
                && transactions.burst == Double(settings.transactionBurst)
        }
        /// When the last message was refused (monotonic seconds).
        var lastRefusedAt = -Double.infinity
    }

    /// A station refused again within this many seconds of its last refusal is still
    /// flooding: its refusal count goes on even if a message was admitted in between (a
    /// flooder gets one admitted per token that comes back, `1 / rate` seconds apart, and
    /// must not start over each time).
    static let refusalPause = 1.0

    /// How long a refused message holds its connection before the refusal is answered. The
    /// connection reads its next frame only after answering (invariant 5), so this paces a
    /// flooding station to at most 1,000 refused frames per second: what it costs the server
    /// is bounded (and TCP pushes back on the flooder), while other stations keep their share
    /// of the cores. In the flood test (Tests/e2e/test_flood_e2e.py, 10,000 frames) the
    /// flooder otherwise took more than a core of a debug build and the other stations' p99
    /// went to 70–170 ms.
    static let refusalDelay = Duration.milliseconds(1)

    /// Shard size above which full, idle entries are dropped.
    static let pruneThreshold = 4096

    init(
        settings: RateLimitSettings, metrics: ProcessorMetrics, store: (any CSMSStore)? = nil,
        now: @escaping @Sendable () -> Double = RateLimitStep.monotonicSeconds
    ) {
        self.init(source: { settings }, metrics: metrics, store: store, now: now)
    }

    /// A step that asks `source` for its settings for every message (a live configuration).
    init(
        source: @escaping @Sendable () -> RateLimitSettings?, metrics: ProcessorMetrics,
        store: (any CSMSStore)? = nil, now: @escaping @Sendable () -> Double = RateLimitStep.monotonicSeconds
    ) {
        self.source = source
        self.metrics = metrics
        self.store = store
        self.now = now
        shards = (0..<16).map { _ in Shard() }
    }

    /// Seconds on the monotonic clock.
    @Sendable static func monotonicSeconds() -> Double {
        (ContinuousClock.now - RateLimitStep.epoch).timeInterval
    }

    private static let epoch = ContinuousClock.now

    /// What the buckets say about one more message of `station`.
    enum Decision: Equatable {
        case admit
        case admitOverLimit
        case refuse(refusedInARow: Int)
    }

    /// The settings now in force (`nil`: no rate limits).
    var settings: RateLimitSettings? { source() }

    func decide(_ station: ChargePointID, isTransaction: Bool) -> Decision {
        guard let settings else { return .admit }
        return decide(station, isTransaction: isTransaction, settings: settings)
    }

    func decide(_ station: ChargePointID, isTransaction: Bool, settings: RateLimitSettings) -> Decision {
        let time = now()
        let shard = shards[Int(UInt(bitPattern: station.hashValue) % UInt(shards.count))]
        return shard.entries.withLock { entries in
            if entries.count > Self.pruneThreshold {
                entries = entries.filter { _, limits in
                    var limits = limits
                    return !(limits.ordinary.isFull(now: time) && limits.transactions.isFull(now: time))
                }
            }
            var limits =
                entries[station].flatMap { $0.matches(settings) ? $0 : nil }
                ?? StationLimits(
                    ordinary: TokenBucket(rate: settings.rate, burst: settings.burst, now: time),
                    transactions: TokenBucket(
                        rate: settings.transactionRate, burst: settings.transactionBurst, now: time))
            defer { entries[station] = limits }
            if isTransaction {
                return limits.transactions.take(now: time) ? .admit : .admitOverLimit
            }
            if limits.ordinary.take(now: time) { return .admit }
            if time - limits.lastRefusedAt >= Self.refusalPause { limits.refusedInARow = 0 }
            limits.refusedInARow += 1
            limits.lastRefusedAt = time
            return .refuse(refusedInARow: limits.refusedInARow)
        }
    }

    func enter(_ call: inout InboundCall) async -> CallOutcome? {
        guard let settings else { return nil }
        let isTransaction = ProcessorConfiguration.transactionActions.contains(call.call.action)
        switch decide(call.session.chargePointId, isTransaction: isTransaction, settings: settings) {
        case .admit:
            return nil
        case .admitOverLimit:
            metrics.rateLimited(version: call.session.version, action: call.actionLabel, outcome: "admitted")
            return nil
        case .refuse(let refusedInARow):
            return await refuse(call, refusedInARow: refusedInARow, settings: settings)
        }
    }

    /// The answer to a refused message (after `refusalDelay`), closing the connection after
    /// `disconnectAfter` refusals in a row. Not inlined into `enter`: its locals would
    /// enlarge the async frame every message allocates.
    @inline(never)
    private func refuse(_ call: InboundCall, refusedInARow: Int, settings: RateLimitSettings) async -> CallOutcome {
        metrics.rateLimited(version: call.session.version, action: call.actionLabel, outcome: "refused")
        var outcome = CallOutcome.error(
            .genericError,
            "rate limit exceeded: at most \(settings.burst) messages at once and \(settings.rate) per second",
            messageId: call.call.messageId)
        outcome.errorLogLevel = .debug  // logged below once when refusing starts, and at the disconnect
        if refusedInARow >= settings.disconnectAfter {
            call.logger.warning(
                "security event: station flooding, disconnecting",
                metadata: ["security_event": "flooding", "refused_in_a_row": "\(refusedInARow)"])
            outcome.closeConnection = "rate limit exceeded \(refusedInARow) times in a row"
            await recordFlooding(call, refusedInARow: refusedInARow, settings: settings)
        } else if refusedInARow == 1 {
            call.logger.notice("rate limit exceeded; refusing messages")
        }
        try? await Task.sleep(for: Self.refusalDelay)
        return outcome
    }
}

extension RateLimitStep {
    /// Stores the `csms.flooding` security event of a disconnect (one per disconnect, not one
    /// per refused message). Never fails the message: a store failure is logged.
    func recordFlooding(_ call: InboundCall, refusedInARow: Int, settings: RateLimitSettings) async {
        guard let store else { return }
        let event = SecurityEvent(
            chargePointId: call.session.chargePointId, source: .csms, type: "csms.flooding",
            techInfo: "\(refusedInARow) messages in a row over the rate limit (\(settings.rate)/s, burst "
                + "\(settings.burst)); disconnected with 1008",
            occurredAt: call.receivedAt, receivedAt: call.receivedAt, remoteAddress: call.session.remoteAddress)
        do {
            try await store.commit([.addSecurityEvent(event)])
        } catch {
            call.logger.error("flooding security event not stored", metadata: ["error": "\(error)"])
        }
    }
}
