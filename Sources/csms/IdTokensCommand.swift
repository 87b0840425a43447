import ArgumentParser
import CSMSCore
import CSMSServer
import Foundation

/// `csms id-tokens`: manages the id token registry in the configured database.
struct IdTokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id-tokens",
        abstract: "Manage the id token registry in the configured database.",
        subcommands: [Import.self])

    /// `csms id-tokens import FILE.csv`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace id tokens from a CSV file (docs/authorization.md, \"CSV import\").",
            discussion: """
                The first row names the columns: idToken and status are required; type, expiryDate, \
                groupIdToken, chargePointIds, evseIds, language, personalMessage and external are optional \
                (lists separated by ';'). Nothing is stored when any row is invalid.
                """)

        @Argument(help: "The CSV file ('-' for standard input).")
        var file: String

        @Option(help: "Entries stored per database transaction.")
        var batchSize = 500

        @OptionGroup var settings: SettingOptions

        func validate() throws {
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 10000") }
        }

        func run() async throws {
            try await reportingFailures {
                let configuration = try await settings.load()
                _ = bootstrapLogging(configuration, toStandardError: true)
                let text: String
                do {
                    if file == "-" {
                        text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    } else {
                        text = try String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8)
                    }
                } catch {
                    throw Failure.configuration("cannot read \(file): \(error.localizedDescription)")
                }
                let records: [IdTokenRecord]
                switch IdTokenCSV.records(from: text, at: Date()) {
                case .success(let parsed): records = parsed
                case .failure(let failure):
                    let errors = failure.rows
                    for error in errors.prefix(50) { printError("csms: \(file): \(error)") }
                    if errors.count > 50 { printError("csms: \(file): \(errors.count - 50) more errors") }
                    throw ExitCode(1)
                }
                let store = try Runtime.openStore(configuration)
                var added = 0
                do {
                    for start in stride(from: 0, to: records.count, by: batchSize) {
                        let batch = records[start..<min(start + batchSize, records.count)]
                        for record in batch {
                            if try await store.idToken(record.idToken) == nil { added += 1 }
                        }
                        try await store.commit(batch.map { .upsertIdToken($0) })
                    }
                } catch {
                    throw Failure.store("\(error)")
                }
                print("imported \(records.count) id tokens (\(added) added, \(records.count - added) replaced)")
            }
        }
    }
}
