import CSMSCore
import CSMSExternalAuth
import CSMSTesting
import Crypto
import Foundation
import Hummingbird
import Logging
import MetricsTestKit
import OCPP
import ServiceLifecycle
import Synchronization
import Testing
import X509

@testable import CSMSServer

/// A real HTTP server (Hummingbird on 127.0.0.1, port 0) playing the external CA: `POST /sign`
/// signs the CSR of the JSON body with a throw-away CA (the built-in `CertificateAuthority`
/// code, so the chain is real) and answers according to `mode`.
final class FakeCA: Sendable {
    enum Mode: Sendable {
        /// 200 with the PEM chain as the body.
        case pem
        /// 200 with `{"certificateChain": chain}`.
        case json
        /// The status code, empty body.
        case failure(Int)
        /// 200 with the chain after `delay`.
        case slow(Duration)
        /// 200 with a certificate for another key than the CSR's.
        case otherKey
    }

    private struct State {
        var mode: Mode = .pem
        var bodies: [JSONValue] = []
    }

    private let state = Mutex(State())
    let authority: CertificateAuthority
    let caPEM: String

    init() throws {
        let (certificatePEM, keyPEM) = try CertificateAuthority.generateRoot(
            commonName: "External Test CA", organization: "Test Operator", validityDays: 30)
        authority = try CertificateAuthority(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
        caPEM = certificatePEM
    }

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Every request body received, in order.
    var bodies: [JSONValue] { state.withLock { $0.bodies } }

    private func handle(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let json = (try? JSONValue(parsing: Array(buffer: body))) ?? .null
        let mode = state.withLock { s in
            s.bodies.append(json)
            return s.mode
        }
        var csr = json["csr"]?.stringValue ?? ""
        if case .otherKey = mode {
            csr = try CertificateAuthorityTests.csr(commonName: json["chargePointId"]?.stringValue ?? "")
        }
        switch mode {
        case .failure(let code):
            return Response(status: HTTPResponse.Status(code: code))
        case .slow(let delay):
            try? await Task.sleep(for: delay)
        default:
            break
        }
        guard let id = json["chargePointId"]?.stringValue.flatMap({ ChargePointID($0) }),
            let issued = try? authority.sign(
                csrPEM: csr, for: id, certificateType: "x", operatorName: nil, validity: 86_400, now: Date())
        else { return Response(status: .badRequest) }
        if case .json = mode {
            let object: JSONValue = ["certificateChain": .string(issued.chainPEM)]
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: object.serialized())))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-pem-file"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: issued.chainPEM)))
    }

    /// Runs the server for the length of `body`, which gets the URL.
    func run(_ body: (URL) async throws -> Void) async throws {
        try await LoopbackHTTPServer.run(path: "sign", label: "fake-ca", handle: { try await self.handle($0) }, body)
    }
}

@Suite("External CA over HTTP (a real Hummingbird CA on port 0)")
struct ExternalCATests {
    static let id = ChargePointID("CP-EXT-1")!

    private static func signer(
        _ url: URL, timeout: Duration = .seconds(5), threshold: Int = 5, metrics: TestMetrics = TestMetrics()
    ) -> ExternalCASigner {
        ExternalCASigner(
            client: ExternalCAClient(
                configuration: ExternalCAConfiguration(
                    url: url, timeout: timeout, breakerFailureThreshold: threshold, breakerCoolDown: .seconds(600)),
                logger: Logger(label: "test"), metricsFactory: metrics),
            operatorName: "Test Operator", logger: Logger(label: "test"))
    }

    private static func sign(_ signer: ExternalCASigner, _ csr: String) async -> CertificateSigningDecision {
        await signer.sign(csr: csr, chargePointId: id, certificateType: "ChargingStationCertificate", now: Date())
    }

    @Test("the CSR is POSTed as JSON; a PEM or JSON chain is recorded for CertificateSigned", arguments: [true, false])
    func signs(asJSON: Bool) async throws {
        let ca = try FakeCA()
        ca.mode = asJSON ? .json : .pem
        try await ca.run { url in
            let signer = Self.signer(url)
            let csr = try CertificateAuthorityTests.csr(commonName: "CP-EXT-1")
            let decision = await Self.sign(signer, csr)
            #expect(decision.accepted && decision.reason == nil)
            guard case .recordStationCertificate(let record)? = decision.writes.first else {
                Issue.record("no certificate record: \(decision)")
                return
            }
            #expect(record.chargePointId == Self.id && record.certificateType == "ChargingStationCertificate")
            #expect(record.subject.contains("CN=CP-EXT-1"))
            #expect(record.pem.contains(ca.caPEM.trimmingCharacters(in: .whitespacesAndNewlines)), "the whole chain")
            let leafPEM =
                record.pem.components(separatedBy: "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----"
            let leaf = try Certificate(pemEncoded: leafPEM)
            #expect(leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined() == record.serialNumber)
            #expect(
                ca.bodies == [
                    [
                        "chargePointId": "CP-EXT-1", "certificateType": "ChargingStationCertificate",
                        "csr": .string(csr),
                    ]
                ])
            try await signer.shutdown()
        }
    }

    @Test("a CSR the local checks refuse is never sent")
    func localChecksFirst() async throws {
        let ca = try FakeCA()
        try await ca.run { url in
            let signer = Self.signer(url)
            let decision = await Self.sign(signer, try CertificateAuthorityTests.csr(commonName: "CP-OTHER"))
            #expect(!decision.accepted && decision.reason == "cn_mismatch")
            #expect(ca.bodies.isEmpty)
            try await signer.shutdown()
        }
    }

    @Test("failures are recorded: a leaf for another key, non-2xx, timeout; 3 HTTP failures open the breaker")
    func failures() async throws {
        let ca = try FakeCA()
        try await ca.run { url in
            let metrics = TestMetrics()
            let signer = Self.signer(url, timeout: .milliseconds(500), threshold: 3, metrics: metrics)
            let gauge = try metrics.expectGauge(ExternalCAClient.breakerStateMetric)
            #expect(gauge.lastValue == 0)
            let csr = try CertificateAuthorityTests.csr(commonName: "CP-EXT-1")
            for mode in [FakeCA.Mode.otherKey, .failure(503), .slow(.seconds(3)), .failure(500)] {
                ca.mode = mode
                let decision = await Self.sign(signer, csr)
                #expect(!decision.accepted && decision.reason == "external_ca_failed", "\(mode)")
                guard case .addSecurityEvent(let event)? = decision.writes.first else {
                    Issue.record("no security event for \(mode)")
                    continue
                }
                #expect(event.type == "csms.csr_failed.external_ca" && event.source == .csms)
                #expect(event.techInfo?.contains("signing request failed") == true)
            }
            #expect(ca.bodies.count == 4)
            ca.mode = .pem
            let refused = await Self.sign(signer, csr)
            #expect(!refused.accepted, "the breaker is open after 3 failures in a row")
            guard case .addSecurityEvent(let event)? = refused.writes.first else {
                Issue.record("no security event while the breaker is open")
                return
            }
            #expect(event.techInfo?.contains("circuit breaker open") == true)
            #expect(ca.bodies.count == 4, "the CA is not asked while the breaker is open")
            #expect(gauge.lastValue == 2, "the breaker's gauge says open")
            try await LiveServer.with(externalCA: signer) { server in
                let ready = try await server.api("GET", "/health/ready", token: "")
                #expect(ready.status == 200, "an open breaker does not make the server unready")
                #expect(try ready.json()["externalCA"] as? String == "open")
            }
            try await signer.shutdown()
        }
    }

    @Test("a refused connection is a failure")
    func unreachable() async throws {
        let signer = Self.signer(URL(string: "http://127.0.0.1:1/sign")!)
        let decision = await Self.sign(signer, try CertificateAuthorityTests.csr(commonName: "CP-EXT-1"))
        #expect(!decision.accepted && decision.reason == "external_ca_failed")
        try await signer.shutdown()
    }

    @Test("answer bodies: PEM text or JSON certificateChain; anything else has no chain")
    func chainParsing() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
        #expect(ExternalCAClient.chain(from: Array(pem.utf8)) == pem)
        #expect(ExternalCAClient.chain(from: JSONValue.object(["certificateChain": .string(pem)]).serialized()) == pem)
        #expect(ExternalCAClient.chain(from: Array(#"{"chain":"x"}"#.utf8)) == nil)
        #expect(ExternalCAClient.chain(from: Array("<html>".utf8)) == nil)
    }
}
