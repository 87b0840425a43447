import ArgumentParser
import CSMSCore
import CSMSServer
import Foundation
import OCPP

/// `csms charge-points`: registers and lists charge points in the configured database.
struct ChargePointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charge-points",
        abstract: "Register and list charge points in the configured database.",
        subcommands: [Add.self, List.self])

    /// `csms charge-points add ID [--password P | --password-stdin] [--registration-status S]`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a charge point, or change its password or registration status.")

        @Argument(help: "The charge point id (1-48 characters of a-z A-Z 0-9 * - _ = : + | @ .).")
        var id: String

        @Option(help: "Basic-auth password (stored hashed). Visible in ps: prefer --password-stdin.")
        var password: String?

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @Option(help: "Accepted, Pending or Rejected (the answer to its next BootNotification).")
        var registrationStatus: String?

        @OptionGroup var settings: SettingOptions

        func validate() throws {
            guard ChargePointID(id) != nil else {
                throw ValidationError("invalid charge point id '\(id.prefix(60))'")
            }
            if password != nil && passwordStdin {
                throw ValidationError("use --password or --password-stdin, not both")
            }
            if let registrationStatus, RegistrationStatus(rawValue: registrationStatus) == nil {
                throw ValidationError("--registration-status must be Accepted, Pending or Rejected")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let configuration = try await settings.load()
                _ = bootstrapLogging(configuration, toStandardError: true)
                var secret = password
                if passwordStdin { secret = readLine(strippingNewline: true) }
                if let secret, !(16...40).contains(secret.count) {
                    throw Failure.configuration("the password must have 16 to 40 characters (OCPP AuthorizationKey)")
                }
                let chargePointId = ChargePointID(id)!
                let store = try Runtime.openStore(configuration)
                let update = ChargePointUpdate(
                    id: chargePointId, passwordHash: secret.map { PasswordHash.make(password: $0) },
                    registrationStatus: registrationStatus.flatMap(RegistrationStatus.init(rawValue:)), at: Date())
                do {
                    let existed = try await store.chargePoint(chargePointId) != nil
                    try await store.commit([.upsertChargePoint(update)])
                    print("\(existed ? "updated" : "registered") \(chargePointId)")
                } catch {
                    throw Failure.store("\(error)")
                }
            }
        }
    }

    /// `csms charge-points list [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered charge points.")

        @Flag(help: "One JSON object per line instead of a table.")
        var json = false

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await settings.withStore { configuration, store in
                var rows: [ChargePoint] = []
                do {
                    var after: ChargePointID?
                    while true {
                        let page = try await store.chargePoints(after: after, limit: 500)
                        rows += page
                        guard page.count == 500, let last = page.last else { break }
                        after = last.id
                    }
                } catch {
                    throw Failure.store("\(error)")
                }
                if json {
                    for row in rows { print(Self.json(row).jsonText) }
                } else {
                    print(Self.table(rows), terminator: "")
                }
            }
        }

        static func json(_ row: ChargePoint) -> JSONValue {
            [
                "id": .string(row.id.rawValue),
                "registrationStatus": row.registrationStatus.map { .string($0.rawValue) } ?? .null,
                "bootStatus": row.bootStatus.map { .string($0.rawValue) } ?? .null,
                "protocol": row.protocolVersion.map { .string($0) } ?? .null,
                "lastSeen": row.lastSeen.map { .string(OCPPDateTime($0).text) } ?? .null,
                "hasPassword": .bool(row.passwordHash != nil),
            ]
        }

        static func table(_ rows: [ChargePoint]) -> String {
            TextTable.render(
                header: ["ID", "REGISTRATION", "BOOT", "PROTOCOL", "LAST SEEN", "PASSWORD"],
                rows: rows.map { row in
                    [
                        row.id.rawValue, row.registrationStatus?.rawValue ?? "-", row.bootStatus?.rawValue ?? "-",
                        row.protocolVersion ?? "-", row.lastSeen.map { OCPPDateTime($0).text } ?? "-",
                        row.passwordHash == nil ? "no" : "yes",
                    ]
                })
        }
    }
}
