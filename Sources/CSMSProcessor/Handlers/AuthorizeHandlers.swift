import CSMSCore
import OCPP
import OCPP16
import OCPP201
import OCPP21

// Authorize in its three forms: every answer comes from the one authorization service
// (`HandlerServices.authorizer`, docs/authorization.md). Authorize changes no state.

/// OCPP 1.6 Authorize (§4.2, §6.2): the `idTagInfo` of the decision. Statuses 1.6 does not
/// have (`NotAtThisLocation`, `NoCredit`, ...) are answered `Invalid`; the group token is the
/// `parentIdTag`.
struct AuthorizeHandler16: OCPPHandler {
    typealias Action = OCPP16.AuthorizeAction

    func handle(
        _ request: OCPP16.AuthorizeRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.AuthorizeResponse> {
        let decision = await context.services.authorizer.authorize(
            AuthorizationRequest(
                chargePointId: context.chargePointId, token: AuthorizationToken(id: request.idTag), at: context.now))
        return HandlerResult(
            response: OCPP16.AuthorizeResponse(idTagInfo: OCPP16.AuthorizeResponse.IdTagInfo(decision)))
    }
}

extension OCPP16.AuthorizeResponse.IdTagInfo {
    /// The 1.6 `idTagInfo` for `decision` (status through `AuthorizationStatus.ocpp16`).
    init(_ decision: AuthorizationDecision) {
        self.init(
            status: Status(rawValue: decision.status.ocpp16.rawValue) ?? .invalid,
            expiryDate: decision.expiryDate.map(OCPPDateTime.init), parentIdTag: decision.groupToken?.id)
    }
}

/// OCPP 2.0.1 Authorize (part 2 C01, C07): the `idTokenInfo` of the decision. Certificate
/// data (`certificate`, `iso15118CertificateHashData`) is accepted but not verified: this
/// CSMS has no contract certificate validation yet, so it answers `certificateStatus`
/// `NoCertificateAvailable` (never `Accepted` for a certificate it did not check).
struct AuthorizeHandler201: OCPPHandler {
    typealias Action = OCPP201.AuthorizeAction

    func handle(
        _ request: OCPP201.AuthorizeRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.AuthorizeResponse> {
        let decision = await context.services.authorizer.authorize(
            AuthorizationRequest(
                chargePointId: context.chargePointId, token: AuthorizationToken(request.idToken), at: context.now))
        let hasCertificate = request.certificate != nil || request.iso15118CertificateHashData != nil
        return HandlerResult(
            response: OCPP201.AuthorizeResponse(
                idTokenInfo: OCPP201.IdTokenInfo(decision),
                certificateStatus: hasCertificate ? .noCertificateAvailable : nil))
    }
}

/// OCPP 2.1 Authorize: as in 2.0.1.
struct AuthorizeHandler21: OCPPHandler {
    typealias Action = OCPP21.AuthorizeAction

    func handle(
        _ request: OCPP21.AuthorizeRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.AuthorizeResponse> {
        let decision = await context.services.authorizer.authorize(
            AuthorizationRequest(
                chargePointId: context.chargePointId, token: AuthorizationToken(request.idToken), at: context.now))
        let hasCertificate = request.certificate != nil || request.iso15118CertificateHashData != nil
        return HandlerResult(
            response: OCPP21.AuthorizeResponse(
                idTokenInfo: OCPP21.IdTokenInfo(decision),
                certificateStatus: hasCertificate ? .noCertificateAvailable : nil))
    }
}
