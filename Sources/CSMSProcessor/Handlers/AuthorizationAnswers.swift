import CSMSCore
import Foundation
import OCPP
import OCPP201
import OCPP21

// One mapping from the authorization service's decision to each message set's id token
// information, used by Authorize and the transaction handlers alike.

extension AuthorizationToken {
    /// The token of a 2.0.1 `IdTokenType`.
    init(_ token: OCPP201.IdToken) { self.init(id: token.idToken, type: token.type.rawValue) }

    /// The token of a 2.1 `IdTokenType`.
    init(_ token: OCPP21.IdToken) { self.init(id: token.idToken, type: token.type) }
}

extension OCPP201.IdTokenInfo {
    /// The 2.0.1 `idTokenInfo` for `decision`. A status or group token type this message set
    /// does not know becomes `Invalid` / is left out.
    init(_ decision: AuthorizationDecision) {
        self.init(
            status: OCPP201.AuthorizationStatusEnum(rawValue: decision.status.rawValue) ?? .invalid,
            cacheExpiryDateTime: decision.expiryDate.map(OCPPDateTime.init),
            language1: decision.language, evseId: decision.evseIds,
            groupIdToken: decision.groupToken.flatMap { token in
                OCPP201.IdTokenEnum(rawValue: token.type ?? "Central").map {
                    OCPP201.IdToken(idToken: token.id, type: $0)
                }
            },
            personalMessage: decision.personalMessage.map { OCPP201.MessageContent(format: .utf8, content: $0) })
    }
}

extension OCPP21.IdTokenInfo {
    /// The 2.1 `idTokenInfo` for `decision`.
    init(_ decision: AuthorizationDecision) {
        self.init(
            status: OCPP21.AuthorizationStatusEnum(rawValue: decision.status.rawValue) ?? .invalid,
            cacheExpiryDateTime: decision.expiryDate.map(OCPPDateTime.init),
            groupIdToken: decision.groupToken.map { OCPP21.IdToken(idToken: $0.id, type: $0.type ?? "Central") },
            language1: decision.language, evseId: decision.evseIds,
            personalMessage: decision.personalMessage.map { OCPP21.MessageContent(format: .utf8, content: $0) })
    }
}
