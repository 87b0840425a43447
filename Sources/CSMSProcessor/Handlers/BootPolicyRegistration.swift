import CSMSCore
import Foundation
import Logging

// The boot validation policies (`ProcessorConfiguration.bootPolicy`, docs/security.md "Boot
// validation policies") on top of the registration decision: the pure `BootPolicy` decides,
// this file reads what it needs and turns its findings into writes.

extension BootRegistration {
    /// The registration decision (`decide(context:)`) with the boot policies applied: the
    /// stricter answer wins, every finding is stored as a CSMS security event, and the first
    /// accepted boot binds the serial number when serial binding is on.
    static func decide(context: HandlerContext, info: BootInfo) async throws -> BootRegistration {
        let base = try await decide(context: context)
        let policy = context.configuration.bootPolicy
        let checksSerial = policy.bindSerialNumber && !context.hasClientCertificate
        let bound = checksSerial ? try await context.store.serialBinding(of: context.chargePointId) : nil
        let outcome = policy.evaluate(
            base: base.status, boot: info, boundSerial: bound?.serialNumber,
            hasClientCertificate: context.hasClientCertificate, isOCPP16: context.version.family == .v16)
        guard outcome.status != base.status || !outcome.findings.isEmpty || outcome.bindSerialNumber != nil else {
            return base
        }
        var writes: [StoreWrite] = outcome.findings.map { finding in
            .addSecurityEvent(
                SecurityEvent(
                    chargePointId: context.chargePointId, source: .csms, type: finding.type,
                    techInfo: finding.techInfo, occurredAt: context.now, receivedAt: context.now))
        }
        if let serial = outcome.bindSerialNumber {
            writes.append(
                .bindSerialNumber(
                    SerialBinding(chargePointId: context.chargePointId, serialNumber: serial, boundAt: context.now)))
        }
        for finding in outcome.findings {
            context.logger.notice(
                "boot policy", metadata: ["security_event": .string(finding.type), "registration": "\(outcome.status)"])
        }
        let interval =
            outcome.status == .accepted
            ? context.configuration.heartbeatInterval : context.configuration.bootRetryInterval
        // A boot the policies reject registers nothing, as an unknown station's rejected boot.
        let registers = base.registers && outcome.status != .rejected
        return BootRegistration(
            status: outcome.status, interval: interval.wholeSeconds, registers: registers,
            marksPending: base.marksPending && registers, policyWrites: writes)
    }
}

extension StoreReader {
    /// The station's serial binding, if any.
    func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding? {
        try await store.serialBinding(of: id)
    }
}
