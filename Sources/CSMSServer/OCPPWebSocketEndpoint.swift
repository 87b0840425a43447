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
/// - the id is the percent-decoded last path segment; an invalid id, a wrong path or failed
///   Basic authentication refuses the upgrade (HTTP 400: hummingbird-websocket answers every
///   refused upgrade with 400, see docs/operations.md);
/// - the first subprotocol in the client's list that the server has enabled wins;
/// - when none is acceptable the specification requires the CSMS to "complete the WebSocket
///   handshake with a response without a Sec-WebSocket-Protocol header and then immediately
///   close the WebSocket connection": it is completed, then closed with 1002 (protocol error).
struct OCPPWebSocketEndpoint: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    let configuration: ServerConfiguration
    let store: any CSMSStore
    let processor: any InboundMessageHandling
    let tracker: any OutboundCallTracking
    let registry: ConnectionRegistry
    let clock: any WallClock
    let logger: Logger

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
            logger[metadataKey: LogKey.chargePointId] = .string(id.rawValue)
            try await authenticate(request, id: id)
        } catch {
            logger.notice("WebSocket upgrade refused", metadata: ["reason": .string(error.description)])
            return .dontUpgrade
        }

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
        let session = StationSession(chargePointId: id, version: version, remoteAddress: remoteAddress)
        let connectionLogger = logger
        return .upgrade([.secWebSocketProtocol: version.subprotocol]) { inbound, outbound, _ in
            try await run(
                session: session, liveness: liveness, inbound: inbound, outbound: outbound, logger: connectionLogger)
        }
    }

    /// Security profile 1: a charge point with a stored password must present it with HTTP
    /// Basic authentication, user name = charge point id. Profile 0 checks nothing.
    private func authenticate(_ request: UpgradeRequest, id: ChargePointID) async throws(UpgradeRequest.Refusal) {
        guard configuration.securityProfile == .basicAuthWhenPasswordSet else { return }
        let chargePoint: ChargePoint?
        do {
            chargePoint = try await store.chargePoint(id)
        } catch {
            throw .storeUnavailable
        }
        guard let stored = chargePoint?.passwordHash else { return }
        guard let credentials = request.basicCredentials(), credentials.user == id.rawValue else {
            throw .unauthorized
        }
        let matches: Bool
        do {
            matches = try await PasswordHash.verifyOffPool(password: credentials.password, against: stored)
        } catch {
            throw .unauthorized  // the thread pool is shutting down
        }
        guard matches else { throw .unauthorized }
    }

    /// Runs one accepted connection until it ends.
    private func run(
        session: StationSession, liveness: ConnectionLiveness, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        let connection = StationConnection(
            session: session, connectedAt: clock.now(), outbound: outbound, processor: processor, tracker: tracker,
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
