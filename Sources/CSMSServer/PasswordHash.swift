import Crypto
import Foundation
import NIOPosix

/// Charge point passwords (HTTP Basic authentication) stored as salted PBKDF2 hashes.
///
/// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA-256 as the pseudo-random function, built on
/// swift-crypto's `HMAC<SHA256>`; a 16-byte random salt per password; 32-byte output.
/// Stored form: `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt and hash in standard base64.
/// Verification recomputes with the stored iteration count and compares in constant time,
/// so the count can be raised later without invalidating stored hashes.
public enum PasswordHash {
    /// The scheme name at the start of the stored form.
    public static let scheme = "pbkdf2-sha256"
    /// Iterations for new hashes (OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600,000;
    /// 100,000 keeps a connect burst of thousands of stations affordable).
    public static let defaultIterations = 100_000
    /// The fewest iterations a stored hash may have to be accepted.
    public static let minimumIterations = 100_000
    /// Salt length in bytes.
    public static let saltLength = 16

    /// The stored form of `password`, with a fresh random salt.
    public static func make(password: String, iterations: Int = defaultIterations) -> String {
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let hash = pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations)
        return [scheme, String(iterations), Data(salt).base64EncodedString(), Data(hash).base64EncodedString()]
            .joined(separator: "$")
    }

    /// Whether `password` matches `stored`; `false` for a malformed stored form or one with
    /// fewer than `minimumIterations`.
    public static func verify(password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]),
            iterations >= minimumIterations, iterations <= 10_000_000,
            let salt = Data(base64Encoded: String(parts[2])), !salt.isEmpty,
            let expected = Data(base64Encoded: String(parts[3])), expected.count == SHA256.byteCount
        else { return false }
        let actual = pbkdf2(password: Array(password.utf8), salt: Array(salt), iterations: iterations)
        return constantTimeEqual(actual, Array(expected))
    }

    /// `make(password:)` on NIO's blocking-work thread pool: the hash takes long enough
    /// (0.1 s and more) to starve the Swift concurrency pool, which has one thread per core.
    static func makeOffPool(password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { make(password: password) }
    }

    /// `verify(password:against:)` on NIO's blocking-work thread pool (see `makeOffPool`).
    static func verifyOffPool(password: String, against stored: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { verify(password: password, against: stored) }
    }

    /// PBKDF2-HMAC-SHA256 with one output block (dkLen = 32 bytes):
    /// U1 = HMAC(P, S || INT(1)), Uj = HMAC(P, Uj-1), T1 = U1 xor ... xor Uc.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let keyed = HMAC<SHA256>(key: SymmetricKey(data: password))  // keyed once, copied per block
        var first = keyed
        first.update(data: salt + [0, 0, 0, 1])
        var u = first.finalize()
        var t = [UInt8](repeating: 0, count: SHA256.byteCount)
        t.withUnsafeMutableBytes { out in
            func accumulate(_ mac: HashedAuthenticationCode<SHA256>) {
                mac.withUnsafeBytes { bytes in
                    for i in 0..<out.count { out[i] ^= bytes[i] }
                }
            }
            accumulate(u)
            var remaining = iterations - 1
            while remaining > 0 {
                var mac = keyed
                u.withUnsafeBytes { mac.update(data: $0) }
                u = mac.finalize()
                accumulate(u)
                remaining -= 1
            }
        }
        return t
    }

    /// Equality that takes the same time wherever the first difference is.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
