import Foundation
import Testing

@testable import CSMSServer

@Suite("Password hashes")
struct PasswordHashTests {
    @Test("PBKDF2-HMAC-SHA256 matches the RFC 7914 test vectors")
    func vectors() {
        let one = PasswordHash.pbkdf2(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(hex(one) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        let many = PasswordHash.pbkdf2(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000)
        #expect(hex(many) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56")
    }

    @Test("stored form, verification, salt uniqueness")
    func roundTrip() {
        let stored = PasswordHash.make(password: "correct horse")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256")
        #expect(Int(parts[1])! >= 100_000)
        #expect(PasswordHash.verify(password: "correct horse", against: stored))
        #expect(!PasswordHash.verify(password: "correct horsE", against: stored))
        #expect(PasswordHash.make(password: "correct horse") != stored)  // fresh salt
    }

    @Test("malformed or weak stored forms never verify")
    func malformed() {
        let stored = PasswordHash.make(password: "pw")
        let parts = stored.split(separator: "$").map(String.init)
        #expect(!PasswordHash.verify(password: "pw", against: ""))
        #expect(!PasswordHash.verify(password: "pw", against: "plain"))
        #expect(
            !PasswordHash.verify(password: "pw", against: ["md5", parts[1], parts[2], parts[3]].joined(separator: "$")))
        #expect(
            !PasswordHash.verify(
                password: "pw", against: [parts[0], "1000", parts[2], parts[3]].joined(separator: "$")))
        #expect(
            !PasswordHash.verify(
                password: "pw", against: [parts[0], parts[1], parts[2], "AAAA"].joined(separator: "$")))
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
