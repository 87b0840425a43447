import CSMSCore
import Foundation
import OCPP

/// Turns one processed frame into message log entries: the frame as it came in and, when
/// there is one, the answer that went out (with the time the CSMS took).
enum MessageLogging {
    /// How every CALLRESULT the processor encodes begins.
    private static let callResultPrefix: [UInt8] = Array("[3,".utf8)

    static func record(
        _ frame: [UInt8], decoded: RPCFrame?, result: InboundResult, session: StationSession, receivedAt: Date,
        elapsed: Duration, into recorder: MessageLogRecorder
    ) {
        let action: String? =
            switch decoded {
            case .call(let call)?, .send(let call)?: call.action
            default: nil
            }
        let messageId = decoded?.messageId ?? ""
        let keepsPayload = recorder.mode == .full
        recorder.record(
            MessageLogEntry(
                chargePointId: session.chargePointId, at: receivedAt, direction: .inbound,
                messageType: decoded.map { Int($0.messageType.rawValue) } ?? 0, action: action, messageId: messageId,
                size: frame.count, payload: keepsPayload ? String(decoding: frame, as: UTF8.self) : nil))
        let reply: [UInt8]
        switch result {
        case .reply(let bytes), .replyAndClose(let bytes, _): reply = bytes
        case .outboundReply, .none: return
        }
        // Our serializer writes `[3,` for every CALLRESULT: only other answers are decoded.
        var errorCode: String?
        if !reply.starts(with: callResultPrefix),
            case .callError(let error)? = try? RPCFrame.decode(reply, version: session.version)
        {
            errorCode = error.code.rawValue
        }
        let micros = elapsed.wholeMicroseconds
        recorder.record(
            MessageLogEntry(
                chargePointId: session.chargePointId, at: receivedAt.addingTimeInterval(Double(micros) / 1e6),
                direction: .outbound, messageType: errorCode == nil ? 3 : 4, action: action,
                messageId: messageId, size: reply.count, processingMicros: micros,
                payload: keepsPayload ? String(decoding: reply, as: UTF8.self) : nil, errorCode: errorCode))
    }
}
