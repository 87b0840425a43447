/// An OCPP version as negotiated through the WebSocket subprotocol.
///
/// `ocpp2.0` is served with the OCPP 2.0.1 message set: 2.0.1 is the errata release of 2.0
/// with the same actions, and stations that still announce `ocpp2.0` speak it in practice.
public enum OCPPVersion: String, Sendable, CaseIterable, CustomStringConvertible {
    /// OCPP 1.6 JSON (with the 1.6 security whitepaper's extension messages).
    case v16 = "ocpp1.6"
    /// OCPP 2.0, served with the 2.0.1 message set.
    case v20 = "ocpp2.0"
    /// OCPP 2.0.1.
    case v201 = "ocpp2.0.1"
    /// OCPP 2.1.
    case v21 = "ocpp2.1"

    /// The WebSocket subprotocol token (`Sec-WebSocket-Protocol`).
    public var subprotocol: String { rawValue }

    /// The version for a subprotocol token, if supported.
    public init?(subprotocol: String) { self.init(rawValue: subprotocol) }

    /// The message set (and schema family) this version uses.
    public var family: Family {
        switch self {
        case .v16: .v16
        case .v20, .v201: .v201
        case .v21: .v21
        }
    }

    /// Human-readable version number, e.g. `2.0.1`.
    public var description: String { String(rawValue.dropFirst(4)) }

    /// The three message sets: each has its own schemas, types and action registry.
    public enum Family: String, Sendable, CaseIterable {
        /// OCPP 1.6J.
        case v16 = "1.6"
        /// OCPP 2.0 and 2.0.1.
        case v201 = "2.0.1"
        /// OCPP 2.1.
        case v21 = "2.1"
    }
}
