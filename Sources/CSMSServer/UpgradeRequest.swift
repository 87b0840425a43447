import CSMSCore
import Foundation
import OCPP

/// What the server reads from a station's WebSocket opening request, without any I/O:
/// the charge point id from the path, the offered subprotocols, and Basic credentials.
struct UpgradeRequest: Sendable, Equatable {
    /// The endpoint path prefix; the station appends `/{chargePointId}` (OCPP 2.0.1 Part 4 §3.1.1).
    static let endpointPath = "/ocpp"

    /// The request path without query, as sent (percent-encoded).
    var path: String
    /// The `Sec-WebSocket-Protocol` values, in the client's order of preference.
    var offeredSubprotocols: [String]
    /// The `Authorization` header, if any.
    var authorization: String?

    /// Why an opening request is refused before the WebSocket exists (answered with an HTTP error).
    enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The path is not `/ocpp/{id}`.
        case notAnOCPPPath
        /// The id is empty, too long, uses a character outside the allowed set, or is not
        /// valid percent-encoding.
        case invalidChargePointId
        /// Basic credentials are required and missing, malformed, for another id, or wrong.
        case unauthorized
        /// The store could not be read to check the credentials.
        case storeUnavailable

        var description: String {
            switch self {
            case .notAnOCPPPath: "path is not /ocpp/{chargePointId}"
            case .invalidChargePointId: "invalid charge point id"
            case .unauthorized: "authentication failed"
            case .storeUnavailable: "credentials could not be checked (store unavailable)"
            }
        }
    }

    /// The charge point id: the percent-decoded last path segment after `/ocpp/`.
    func chargePointId() throws(Refusal) -> ChargePointID {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let prefix = Self.endpointPath + "/"
        guard withoutQuery.hasPrefix(prefix) else { throw .notAnOCPPPath }
        let segment = withoutQuery.dropFirst(prefix.count)
        guard !segment.contains("/") else { throw .notAnOCPPPath }
        guard let id = ChargePointID(pathSegment: String(segment)) else { throw .invalidChargePointId }
        return id
    }

    /// The first offered subprotocol that is one of `enabled` (OCPP 2.0.1 Part 4 §3.1.2: the
    /// client lists versions in order of preference), or `nil` when none is acceptable.
    func negotiatedVersion(enabled: Set<OCPPVersion>) -> OCPPVersion? {
        for offered in offeredSubprotocols {
            if let version = OCPPVersion(subprotocol: offered), enabled.contains(version) { return version }
        }
        return nil
    }

    /// Splits `Sec-WebSocket-Protocol` header values (each a comma-separated list; the header
    /// may appear more than once) into tokens, in order.
    static func subprotocols(fromHeaderValues values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The user name and password of a `Basic` authorization header (RFC 7617), or `nil`
    /// when the header is absent or malformed.
    func basicCredentials() -> (user: String, password: String)? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
