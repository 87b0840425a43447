import ArgumentParser
import CSMSServer
import Foundation

/// `csms ca init`: makes the built-in CA's key and self-signed certificate.
struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Manage the built-in certificate authority that signs station certificates.",
        subcommands: [Init.self])

    /// `csms ca init [--out DIR] [--common-name CN] [--organization O] [--validity-days N] [--force]`.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a P-256 CA key (ca-key.pem, mode 0600) and certificate (ca.pem).",
            discussion: """
                Point security.caCertificate and security.caKey at the two files. The key is a secret: \
                keep it readable by the csms user only. Existing files are not overwritten without --force.
                """)

        @Option(help: "Folder for ca.pem and ca-key.pem (created if missing).")
        var out: String = "./csms-data/ca"

        @Option(help: "Subject CN of the CA certificate.")
        var commonName: String = "csms station CA"

        @Option(help: "Subject O of the CA certificate (usually the operator name).")
        var organization: String?

        @Option(help: "Validity of the CA certificate in days.")
        var validityDays: Int = 3650

        @Flag(help: "Overwrite existing files.")
        var force = false

        func run() async throws {
            try await reportingFailures {
                guard (1...36_500).contains(validityDays) else {
                    throw Failure.configuration("--validity-days must be between 1 and 36500")
                }
                let folder = URL(fileURLWithPath: out)
                let certificateURL = folder.appendingPathComponent("ca.pem")
                let keyURL = folder.appendingPathComponent("ca-key.pem")
                let manager = FileManager.default
                if !force, manager.fileExists(atPath: certificateURL.path) || manager.fileExists(atPath: keyURL.path) {
                    throw Failure.configuration("\(out) already holds a CA; use --force to replace it")
                }
                do {
                    let (certificatePEM, keyPEM) = try CertificateAuthority.generateRoot(
                        commonName: commonName, organization: organization, validityDays: validityDays)
                    try manager.createDirectory(at: folder, withIntermediateDirectories: true)
                    _ = manager.createFile(atPath: keyURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
                    try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyURL.path)
                    let handle = try FileHandle(forWritingTo: keyURL)
                    try handle.truncate(atOffset: 0)
                    try handle.write(contentsOf: Data(keyPEM.utf8))
                    try handle.close()
                    try Data(certificatePEM.utf8).write(to: certificateURL, options: .atomic)
                } catch {
                    throw Failure.configuration("cannot create the CA in \(out): \(error)")
                }
                print("CA certificate: \(certificateURL.path)")
                print("CA key:         \(keyURL.path) (secret, mode 0600)")
            }
        }
    }
}
