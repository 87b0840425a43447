import CSMSCore
import CSMSProcessor
import Logging
import OCPP

/// The profile 3 hook in front of the message processor: on OCPP 2.0.1 and 2.1 a
/// BootNotification whose `chargingStation.serialNumber` is not contained in the client
/// certificate's CN ends the session (OCPP 2.0.1 Part 2 A00.FR.412: the CSMS checks the
/// serial number against the certificate) — the frame is not processed and not answered,
/// `onMismatch` records the security event and closes the connection.
///
/// Everything else goes to `base` unchanged. 1.6 has no serial number binding in
/// BootNotification (its CN rule is checked at the handshake).
struct CertificateBindingProcessor: InboundMessageHandling {
    let base: any InboundMessageHandling
    let identity: CertificateIdentity
    let onMismatch: @Sendable (_ serialNumber: String) async -> Void

    func handle(_ frame: [UInt8], session: StationSession, logger: Logger) async -> InboundResult {
        if session.version.family != .v16, let serial = Self.bootSerialNumber(frame, version: session.version),
            !identity.commonNameContains(serial)
        {
            await onMismatch(serial)
            return .none
        }
        return await base.handle(frame, session: session, logger: logger)
    }

    /// The `chargingStation.serialNumber` of a 2.x BootNotification CALL; `nil` for any other
    /// frame, or a BootNotification without a serial number (nothing to compare).
    /// Dead letters are replayed by the wrapped processor.
    func replay(_ letter: DeadLetter) async -> DeadLetterReplayOutcome { await base.replay(letter) }

    /// The spill file belongs to the wrapped processor.
    func replaySpilled() async -> Int { await base.replaySpilled() }

    static func bootSerialNumber(_ frame: [UInt8], version: OCPPVersion) -> String? {
        guard case .call(let call)? = try? RPCFrame.decode(frame, version: version), call.action == "BootNotification"
        else { return nil }
        return call.payload["chargingStation"]?["serialNumber"]?.stringValue
    }
}
