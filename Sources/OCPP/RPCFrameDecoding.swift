/// A frame that could not be decoded, with the answer the specification requires.
///
/// The failure never contains the offending input: the reason names the problem only.
public struct RPCFrameFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What to send back.
    public enum Response: Sendable, Equatable {
        /// Answer with this CALLERROR.
        case callError(RPCCallError)
        /// Send nothing (e.g. an unknown message type in 1.6 and 2.1, or a malformed
        /// CALLRESULT, which must never be answered with a CALLERROR); log the reason.
        case ignore
    }

    /// What to send back.
    public let response: Response
    /// Why the frame was refused (for logs; contains no input).
    public let reason: String

    /// A description for logs.
    public var description: String { reason }
}

extension RPCFrame {
    /// Decodes a WebSocket text frame received on a `version` session.
    ///
    /// Frame-level problems map to version-specific answers (table in docs/protocol.md):
    /// - not JSON, not an array, wrong arity or element types, unreadable message id:
    ///   CALLERROR `RpcFrameworkError` (2.x) / `FormationViolation` (1.6) for CALLs; a message
    ///   id that cannot be read (missing, not a string, empty or over 36 characters) is
    ///   answered with id `"-1"`.
    /// - unknown message type number: 2.0.1 answers `MessageTypeNotSupported`; 1.6 and 2.1
    ///   ignore the message.
    /// - a malformed CALLRESULT/CALLERROR/CALLRESULTERROR is ignored (never answered).
    ///
    /// The payload is not validated here; that is the schema validator's job.
    public static func decode(
        _ bytes: some Collection<UInt8>, version: OCPPVersion, maxDepth: Int = JSONValue.defaultMaxDepth
    ) throws(RPCFrameFailure) -> RPCFrame {
        let family = version.family
        let frameworkError: OCPPErrorCode = family == .v16 ? .formationViolation : .rpcFrameworkError
        func refuse(_ id: String?, _ reason: String) -> RPCFrameFailure {
            RPCFrameFailure(
                response: .callError(
                    RPCCallError(messageId: id ?? unreadableMessageId, code: frameworkError, description: reason)),
                reason: reason)
        }

        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes, maxDepth: maxDepth)
        } catch {
            throw refuse(nil, "message is not valid JSON: \(error)")
        }
        guard case .array(let items) = value else {
            throw refuse(nil, "message is not a JSON array")
        }
        guard let first = items.first else {
            throw refuse(nil, "message is an empty array")
        }
        let messageId = readableMessageId(items.count > 1 ? items[1] : nil)
        guard case .number(let n) = first, n.isIntegerLiteral, let typeNumber = Int(n.literal) else {
            throw refuse(messageId, "message type is not an integer")
        }
        guard let type = MessageType(rawValue: typeNumber), type.isDefined(in: family) else {
            if family == .v201 {
                let reason = "message type \(typeNumber) is not supported"
                throw RPCFrameFailure(
                    response: .callError(
                        RPCCallError(
                            messageId: messageId ?? unreadableMessageId, code: .messageTypeNotSupported,
                            description: reason)),
                    reason: reason)
            }
            throw RPCFrameFailure(response: .ignore, reason: "unknown message type number, ignored")
        }

        switch type {
        case .call, .send:
            // A SEND is never answered, not even with an error.
            func refuseRequest(_ reason: String) -> RPCFrameFailure {
                type == .send ? RPCFrameFailure(response: .ignore, reason: reason) : refuse(messageId, reason)
            }
            guard let messageId else { throw refuseRequest("message id is missing, not a string, or too long") }
            guard items.count == 4 else { throw refuseRequest("a CALL must have 4 elements, not \(items.count)") }
            guard case .string(let action) = items[2], !action.isEmpty else {
                throw refuseRequest("action is not a non-empty string")
            }
            let call = RPCCall(messageId: messageId, action: action, payload: items[3])
            return type == .call ? .call(call) : .send(call)
        case .callResult:
            guard let messageId else { throw ignoredReply("CALLRESULT message id is unreadable") }
            guard items.count == 3 else { throw ignoredReply("a CALLRESULT must have 3 elements, not \(items.count)") }
            return .callResult(RPCCallResult(messageId: messageId, payload: items[2]))
        case .callError, .callResultError:
            guard let messageId else { throw ignoredReply("CALLERROR message id is unreadable") }
            guard items.count == 5 else { throw ignoredReply("a CALLERROR must have 5 elements, not \(items.count)") }
            guard case .string(let code) = items[2], case .string(let text) = items[3] else {
                throw ignoredReply("CALLERROR code or description is not a string")
            }
            let error = RPCCallError(
                messageId: messageId, code: OCPPErrorCode(rawValue: code), description: text,
                details: items[4])
            return type == .callError ? .callError(error) : .callResultError(error)
        }
    }

    private static func ignoredReply(_ reason: String) -> RPCFrameFailure {
        RPCFrameFailure(response: .ignore, reason: reason)
    }

    /// The message id if it is a string of 1 to 36 characters, else `nil` (never echoed).
    private static func readableMessageId(_ value: JSONValue?) -> String? {
        guard case .string(let id)? = value, !id.isEmpty, id.unicodeScalars.count <= maxMessageIdLength else {
            return nil
        }
        return id
    }
}
