import ArgumentParser
import CSMSCore
import CSMSServer
import Foundation
import OCPP

/// `csms api-tokens`: named operator API tokens in the configured database.
struct APITokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-tokens",
        abstract: "Create, list and remove named operator API tokens (stored hashed).",
        subcommands: [Add.self, List.self, Remove.self])

    /// `csms api-tokens add NAME [--scope read-only|admin]`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token (or replace the one with this name) and print it once.",
            discussion: "The token is printed on standard output only; the database keeps its SHA-256 digest.")

        @Argument(help: "The token's name (1-64 characters of a-z A-Z 0-9 . _ -).")
        var name: String

        @Option(help: "read-only (GET only) or admin.")
        var scope: String = "admin"

        @OptionGroup var settings: SettingOptions

        func validate() throws {
            guard APIToken.isValidName(name) else { throw ValidationError("invalid token name '\(name.prefix(64))'") }
            guard APITokenRecord.Scope(rawValue: scope) != nil else {
                throw ValidationError("--scope must be read-only or admin")
            }
        }

        func run() async throws {
            try await settings.withStore { configuration, store in
                let (token, record) = APIToken.generate(name: name, scope: APITokenRecord.Scope(rawValue: scope)!)
                do {
                    try await store.commit([.putAPIToken(record)])
                } catch {
                    throw Failure.store("\(error)")
                }
                print(token)
            }
        }
    }

    /// `csms api-tokens list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List token names and scopes (never the tokens).")

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await settings.withStore { configuration, store in
                let records: [APITokenRecord]
                do {
                    records = try await store.apiTokens()
                } catch {
                    throw Failure.store("\(error)")
                }
                for record in records {
                    print("\(record.name)\t\(record.scope.rawValue)\t\(OCPPDateTime(record.createdAt).text)")
                }
            }
        }
    }

    /// `csms api-tokens remove NAME`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the token with this name.")

        @Argument(help: "The token's name.")
        var name: String

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await settings.withStore { configuration, store in
                do {
                    try await store.commit([.deleteAPIToken(name: name)])
                } catch {
                    throw Failure.store("\(error)")
                }
                print("removed \(name)")
            }
        }
    }
}
