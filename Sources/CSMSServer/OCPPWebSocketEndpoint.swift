import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import OCPP

/// The OCPP-J endpoint `ws://HOST:PORT/ocpp/{chargePointId}`: decides each opening
/// handshake and runs the accepted connections.
///
/// Handshake (OCPP 2.0.1 Part 4 §3.1-3.2, which 1.6J and 2.1 share):
/// - the id is the percent-decoded last path segment; an invalid id or a wrong path refuses
///   the upgrade with HTTP 400;
/// - the station's security profile is checked by `StationAuthenticator` (docs/security.md):
///   failed Basic authentication is answered 401 with `WWW-Authenticate: Basic`, a downgrade
///   or certificate mismatch 403, too many failures 429 (`UpgradeRefusalRewriter`);
/// - the first subprotocol in the client's list that the server has enabled wins;
/// - when none is acceptable the specification requires the CSMS to "complete the WebSocket
///   handshake with a response without a Sec-WebSocket-Protocol header and then immediately
///   close the WebSocket connection": it is completed, then closed with 1002 (protocol error).
struct OCPPWebSocketEndpoint: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    /// The settings; every handshake and admission reads the current snapshot (configuration reload).
    let live: LiveSettings
    let store: any CSMSStore
    let processor: any InboundMessageHandling
    let tracker: any OutboundCallTracking
    let registry: ConnectionRegistry
    let clock: any WallClock
    let authenticator: StationAuthenticator
    let events: SecurityEventLog
    let logger: Logger

    /// The current settings snapshot.
    var configuration: ServerConfiguration { live.current }

    /// The close reason sent when no offered subprotocol is acceptable.
    static let noSubprotocolReason = "no supported OCPP version offered"

    /// Decides the handshake of `head` arriving on `channel`.
    func shouldUpgrade(_ head: HTTPRequest, channel: any Channel) async -> ShouldUpgradeResult<Handler> {
        let request = UpgradeRequest(
            path: head.path ?? "",
            offeredSubprotocols: UpgradeRequest.subprotocols(
                fromHeaderValues: head.headerFields[values: .secWebSocketProtocol]),
            authorization: head.headerFields[.authorization])
        let remoteAddress = channel.remoteAddress?.ipAddress
        var logger = logger
        if let remoteAddress { logger[metadataKey: "net.peer.address"] = .string(remoteAddress) }

        let id: ChargePointID
        do {
            id = try request.chargePointId()
        } catch {
            logger.notice("WebSocket upgrade refused", metadata: ["reason": .string(error.description)])
            return .dontUpgrade
        }
        logger[metadataKey: LogKey.chargePointId] = .string(id.rawValue)
        let transport = await TransportSecurity.of(channel)
        let station: AuthenticatedStation
        do {
            station = try await authenticator.authenticate(
                request, id: id, address: remoteAddress, transport: transport)
        } catch {
            // Rate-limited attempts at debug level: a flood must not flood the log too.
            logger.log(
                level: error.failure == .rateLimited ? .debug : .notice, "WebSocket upgrade refused",
                metadata: ["reason": .string(error.failure.rawValue)])
            if error.failure.isSecurityEvent {
                let detail =
                    error.failure == .certificateMismatch
                    ? transport.clientCertificate?.mismatchDescription(
                        id: id, operatorName: configuration.security.operatorName)
                    : transport.isTLS ? "over TLS" : "over plain ws"
                await events.record(
                    "connection_refused." + error.failure.rawValue, chargePointId: id, techInfo: detail,
                    remoteAddress: remoteAddress)
            }
            // hummingbird-websocket answers the refusal with 400; this turns it into the answer
            // the failure calls for (401 + WWW-Authenticate, 403, 429, 503).
            try? await channel.triggerUserOutboundEvent(error.response).get()
            return .dontUpgrade
        }
        logger[metadataKey: "ocpp.security_profile"] = .stringConvertible(station.profile)

        guard let version = request.negotiatedVersion(enabled: configuration.ocppVersions) else {
            logger.notice(
                "no acceptable OCPP subprotocol offered; closing after the handshake",
                metadata: [
                    "offered": .string(
                        request.offeredSubprotocols.prefix(8).joined(separator: ",").prefix(128).description)
                ])
            return .upgrade([:]) { _, outbound, _ in
                try await outbound.close(.protocolError, reason: Self.noSubprotocolReason)
            }
        }

        guard let liveness = await installLiveness(on: channel) else { return .dontUpgrade }
        let session = StationSession(
            chargePointId: id, version: version, remoteAddress: remoteAddress,
            hasClientCertificate: station.certificate != nil)
        let connectionLogger = logger
        return .upgrade([.secWebSocketProtocol: version.subprotocol]) { inbound, outbound, _ in
            try await run(
                session: session, station: station, liveness: liveness, inbound: inbound, outbound: outbound,
                logger: connectionLogger)
        }
    }

    /// The processor for one session: on profile 3, behind the certificate binding check.
    private func processor(
        for session: StationSession, station: AuthenticatedStation, outbound: WebSocketOutboundWriter, logger: Logger
    ) -> any InboundMessageHandling {
        guard let identity = station.certificate else { return processor }
        let events = events
        return CertificateBindingProcessor(base: processor, identity: identity) { serial in
            logger.warning("BootNotification serial number is not in the certificate CN; closing")
            await events.record(
                "boot_serial_mismatch", chargePointId: session.chargePointId,
                techInfo: "serialNumber '\(serial.prefix(64))' not in certificate CN",
                remoteAddress: session.remoteAddress)
            try? await outbound.close(.policyViolation, reason: "serial number does not match the certificate")
        }
    }

    /// Runs one accepted connection until it ends.
    private func run(
        session: StationSession, station: AuthenticatedStation, liveness: ConnectionLiveness,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        let connection = StationConnection(
            session: session, connectedAt: clock.now(), outbound: outbound,
            processor: processor(for: session, station: station, outbound: outbound, logger: logger), tracker: tracker,
            maxMessageSize: configuration.webSocket.maxMessageSize, logger: logger, liveness: liveness)
        guard await admit(connection) else { return }
        connection.logger.info("station connected")
        defer { registry.unregister(connection) }
        do {
            try await connection.serve(inbound: inbound)
            connection.logger.info("station disconnected")
        } catch {
            connection.logger.info("station connection ended", metadata: ["reason": "\(error)"])
            await tracker.sessionEnded(session)
            await ended(connection, failed: true)
            throw error
        }
        await tracker.sessionEnded(session)
        await ended(connection, failed: false)
    }
}
