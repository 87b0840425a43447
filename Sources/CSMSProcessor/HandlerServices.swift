public import CSMSCore

/// The services handlers use besides the store (they are shared by every connection).
/// Later features add their services here, each with a default that runs out of the box.
public struct HandlerServices: Sendable {
    /// Answers Authorize and the id token information in transaction answers.
    public var authorizer: any Authorizer
    /// The DataTransfer vendor handlers (default none: every vendor is unknown).
    public var dataTransferVendors: DataTransferVendors
    /// Signs station certificates (SignCertificate); default: none configured, all refused.
    public var certificateSigner: any CertificateSigning = NoCertificateAuthority()

    /// Services; every parameter has a working default.
    public init(
        authorizer: any Authorizer = UnknownTokenAuthorizer(), dataTransferVendors: DataTransferVendors = .init()
    ) {
        self.authorizer = authorizer
        self.dataTransferVendors = dataTransferVendors
    }
}
