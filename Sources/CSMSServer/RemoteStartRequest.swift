import CSMSCore
import Foundation
import OCPP

/// The body of `POST /charge-points/{id}/remote-start`, read for the station's negotiated
/// version, and the OCPP request built from it (docs/commands.md "Remote start and stop").
struct RemoteStartRequest: Equatable {
    /// How long the API waits for the transaction unless the body says otherwise, in seconds.
    static let defaultWait = 30
    /// The longest wait a body may ask for, in seconds.
    static let maxWait = 300

    /// 1.6 `connectorId`.
    var connectorId: Int?
    /// 2.x `evseId`.
    var evseId: Int?
    /// 1.6 `idTag` / 2.x `idToken.idToken`.
    var idToken: String
    /// 2.x `idToken.type` (default `Central`); `nil` in 1.6.
    var idTokenType: String?
    /// Passed through as the request's `chargingProfile`.
    var chargingProfile: JSONValue?
    /// Seconds to wait for the transaction (0: answer as soon as the station accepted).
    var waitSeconds: Int

    /// Reads `body` for `family`; throws `APIError.invalidRequest` for anything the route
    /// cannot turn into an OCPP request (the request schema is checked by the engine).
    init(body: JSONValue, family: OCPPVersion.Family) throws {
        guard let object = body.objectValue else { throw APIError(.invalidRequest, "the body must be a JSON object") }
        let allowed: Set<String> =
            family == .v16
            ? ["connectorId", "idToken", "chargingProfile", "waitForTransaction"]
            : ["evseId", "idToken", "idTokenType", "chargingProfile", "waitForTransaction"]
        for (key, _) in object.members where !allowed.contains(key) {
            throw APIError(
                .invalidRequest,
                "unknown member \(key.prefix(40)) for an OCPP \(family == .v16 ? "1.6" : "2.x") station "
                    + "(1.6 takes connectorId, 2.x evseId and idTokenType)")
        }
        guard let token = object["idToken"]?.stringValue, !token.isEmpty else {
            throw APIError(.invalidRequest, "idToken (a non-empty string) is required")
        }
        idToken = token
        connectorId = try Self.integer(object["connectorId"], "connectorId")
        evseId = try Self.integer(object["evseId"], "evseId")
        if family != .v16 {
            switch object["idTokenType"] {
            case nil: idTokenType = "Central"
            case .string(let type)?: idTokenType = type
            default: throw APIError(.invalidRequest, "idTokenType must be a string")
            }
        }
        if let profile = object["chargingProfile"] {
            guard profile.objectValue != nil else {
                throw APIError(.invalidRequest, "chargingProfile must be an object")
            }
            chargingProfile = profile
        }
        waitSeconds = try Self.integer(object["waitForTransaction"], "waitForTransaction") ?? Self.defaultWait
        guard (0...Self.maxWait).contains(waitSeconds) else {
            throw APIError(.invalidRequest, "waitForTransaction must be 0...\(Self.maxWait) seconds")
        }
    }

    /// The 1.6 RemoteStartTransaction request.
    var payload16: JSONValue {
        var o = JSONObject()
        if let connectorId { o["connectorId"] = .number(JSONNumber(connectorId)) }
        o["idTag"] = .string(idToken)
        if let chargingProfile { o["chargingProfile"] = chargingProfile }
        return .object(o)
    }

    /// The 2.0.1 / 2.1 RequestStartTransaction request with `remoteStartId`.
    func payload2x(remoteStartId: Int) -> JSONValue {
        var o = JSONObject()
        if let evseId { o["evseId"] = .number(JSONNumber(evseId)) }
        o["remoteStartId"] = .number(JSONNumber(remoteStartId))
        o["idToken"] = ["idToken": .string(idToken), "type": .string(idTokenType ?? "Central")]
        if let chargingProfile { o["chargingProfile"] = chargingProfile }
        return .object(o)
    }

    /// An optional integer member.
    static func integer(_ value: JSONValue?, _ name: String) throws -> Int? {
        guard let value else { return nil }
        guard case .number(let number) = value, let integer = number.integralValue else {
            throw APIError(.invalidRequest, "\(name) must be an integer")
        }
        return integer
    }
}

/// The body of `POST /charge-points/{id}/remote-stop`.
struct RemoteStopRequest: Equatable {
    /// The transaction to stop (1.6: the decimal integer).
    var transactionId: String
    /// Seconds to wait for the transaction to end (0, the default: answer with the station's status).
    var waitSeconds: Int

    /// Reads `body` for `family`: 1.6 ids are integers (a JSON number or its decimal text).
    init(body: JSONValue, family: OCPPVersion.Family) throws {
        guard let object = body.objectValue else { throw APIError(.invalidRequest, "the body must be a JSON object") }
        for (key, _) in object.members where key != "transactionId" && key != "waitForStop" {
            throw APIError(.invalidRequest, "unknown member \(key.prefix(40))")
        }
        switch object["transactionId"] {
        case .string(let text)? where !text.isEmpty: transactionId = text
        case .number(let number)?:
            guard let id = number.integralValue else {
                throw APIError(.invalidRequest, "transactionId must be an integer or a string")
            }
            transactionId = String(id)
        default: throw APIError(.invalidRequest, "transactionId (a string or an integer) is required")
        }
        if family == .v16, Int(transactionId) == nil {
            throw APIError(.invalidRequest, "an OCPP 1.6 transactionId is an integer")
        }
        waitSeconds = try RemoteStartRequest.integer(object["waitForStop"], "waitForStop") ?? 0
        guard (0...RemoteStartRequest.maxWait).contains(waitSeconds) else {
            throw APIError(.invalidRequest, "waitForStop must be 0...\(RemoteStartRequest.maxWait) seconds")
        }
    }

    /// The action for `family`: RemoteStopTransaction (1.6) or RequestStopTransaction (2.x).
    static func action(_ family: OCPPVersion.Family) -> String {
        family == .v16 ? "RemoteStopTransaction" : "RequestStopTransaction"
    }

    /// The request payload for `family`.
    func payload(_ family: OCPPVersion.Family) -> JSONValue {
        if family == .v16, let id = Int(transactionId) { return ["transactionId": .number(JSONNumber(id))] }
        return ["transactionId": .string(transactionId)]
    }
}
