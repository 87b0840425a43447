public import CSMSCore
import Crypto
public import Foundation
import HTTPTypes
import Hummingbird

/// Named operator API tokens (issue #8): `csms_` + 43 base64url characters (32 random
/// bytes), shown once when created (`csms api-tokens add NAME --scope read-only|admin`) and
/// stored only as a SHA-256 digest with the first 8 characters after the prefix as lookup id.
/// A fast hash suffices here (unlike passwords): the token has 256 random bits, so there is
/// nothing to guess from the digest.
public enum APIToken {
    /// The prefix of every generated token (lets secret scanners find leaked tokens).
    public static let prefix = "csms_"
    /// Characters after the prefix used as the lookup id.
    static let lookupLength = 8

    /// A new token for `name` with `scope`, and the record to store.
    public static func generate(name: String, scope: APITokenRecord.Scope, now: Date = Date()) -> (
        token: String, record: APITokenRecord
    ) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let body = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let token = prefix + body
        return (
            token,
            APITokenRecord(
                name: name, lookupId: String(body.prefix(lookupLength)), hash: digest(token), scope: scope,
                createdAt: now)
        )
    }

    /// The stored form of `token`: `sha256:` and the hex digest.
    static func digest(_ token: String) -> String {
        "sha256:" + SHA256.hash(data: Array(token.utf8)).withUnsafeBytes { $0.lowercaseHex }
    }

    /// The lookup id of a presented token, or `nil` when it is not a generated token.
    static func lookupId(_ token: String) -> String? {
        guard token.hasPrefix(prefix), token.count == prefix.count + 43 else { return nil }
        return String(token.dropFirst(prefix.count).prefix(lookupLength))
    }

    /// Whether a token name is acceptable: 1-64 characters of a-z A-Z 0-9 . _ -.
    public static func isValidName(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return (1...64).contains(name.count) && name.allSatisfy { allowed.contains($0) }
    }
}

/// Requires `Authorization: Bearer TOKEN`: the configured `apiToken` (scope admin) or a
/// stored named token. A read-only token may only GET (and HEAD); anything else is 403.
/// Comparisons hash both sides and compare in constant time; no token reaches a log.
struct APITokenMiddleware<Context: RequestContext>: RouterMiddleware {
    private let configuredDigest: [UInt8]?
    private let store: any CSMSStore

    init(token: String?, store: any CSMSStore) {
        configuredDigest = token.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.store = store
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            if configuredDigest == nil, try await store.apiTokens().isEmpty {
                throw APIError(.unauthorized, "the operator API is disabled: no API token is configured")
            }
            throw APIError(.unauthorized, "missing bearer token")
        }
        let presented = String(header.dropFirst(7))
        guard let scope = try await scope(of: presented) else {
            if configuredDigest == nil, try await store.apiTokens().isEmpty {
                throw APIError(.unauthorized, "the operator API is disabled: no API token is configured")
            }
            throw APIError(.unauthorized, "invalid bearer token")
        }
        if scope == .readOnly, request.method != .get, request.method != .head {
            throw APIError(.forbidden, "this token is read-only")
        }
        return try await next(request, context)
    }

    private func scope(of token: String) async throws -> APITokenRecord.Scope? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        if let configuredDigest, PasswordHash.constantTimeEqual(digest, configuredDigest) { return .admin }
        guard let lookupId = APIToken.lookupId(token) else { return nil }
        let stored = Array(APIToken.digest(token).utf8)
        for record in try await store.apiTokens() where record.lookupId == lookupId {
            if PasswordHash.constantTimeEqual(Array(record.hash.utf8), stored) { return record.scope }
        }
        return nil
    }
}
