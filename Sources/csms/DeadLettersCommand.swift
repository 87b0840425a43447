import ArgumentParser
import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import OCPP

/// `csms dead-letters`: lists, shows, replays and deletes the messages that could not be
/// processed, in the configured database (the same operations as `/api/v1/dead-letters`).
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, show, replay or delete dead letters (messages that could not be processed).",
        subcommands: [List.self, Show.self, Replay.self, Delete.self])

    /// `csms dead-letters list [--charge-point ID] [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, oldest first.")

        @Option(help: "Only the dead letters of this charge point.")
        var chargePoint: String?

        @Flag(help: "One JSON object per line instead of a table.")
        var json = false

        @OptionGroup var settings: SettingOptions

        func validate() throws {
            if let chargePoint, ChargePointID(chargePoint) == nil {
                throw ValidationError("invalid charge point id '\(chargePoint.prefix(60))'")
            }
        }

        func run() async throws {
            try await settings.withStore { configuration, store in
                var letters: [DeadLetter] = []
                do {
                    var after: Int64?
                    while true {
                        let page = try await store.deadLetters(
                            chargePointId: chargePoint.flatMap { ChargePointID($0) }, after: after, limit: 500)
                        letters += page
                        guard page.count == 500, let last = page.last?.id else { break }
                        after = last
                    }
                } catch {
                    throw Failure.store("\(error)")
                }
                if json {
                    for letter in letters { print(DeadLetterView.json(letter).jsonText) }
                } else {
                    print(
                        TextTable.render(
                            header: ["ID", "CHARGE POINT", "VERSION", "REASON", "ATTEMPTS", "RECEIVED"],
                            rows: letters.map { letter in
                                [
                                    letter.id.map { String($0) } ?? "-", letter.chargePointId.rawValue,
                                    letter.protocolVersion, letter.reason, String(letter.attempts),
                                    OCPPDateTime(letter.receivedAt).text,
                                ]
                            }), terminator: "")
                }
            }
        }
    }

    /// `csms dead-letters show ID`: the letter as JSON, with its raw frame and error.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter as JSON.")

        @Argument(help: "The dead letter id.")
        var id: Int64

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await settings.withStore { configuration, store in
                print(DeadLetterView.json(try await DeadLettersCommand.letter(id, in: store)).jsonText)
            }
        }
    }

    /// `csms dead-letters replay ID`: re-runs the message through the pipeline against the
    /// current state; exit status 1 when it fails again.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-run a dead letter through the message processor against the current state.")

        @Argument(help: "The dead letter id.")
        var id: Int64

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await reportingFailures {
                let configuration = try await settings.load()
                let logger = bootstrapLogging(configuration, toStandardError: true)
                let store = try Runtime.openStore(configuration)
                let letter = try await DeadLettersCommand.letter(id, in: store)
                let processor = try Runtime.processor(store: store, configuration: configuration, logger: logger)
                switch await processor.replay(letter) {
                case .processed(let answer):
                    print(
                        "processed dead letter \(id)"
                            + (answer.map { ": " + String(decoding: $0, as: UTF8.self) } ?? ""))
                case .failed(let error):
                    throw Failure.replay("dead letter \(id) failed again: \(error)")
                }
            }
        }
    }

    /// `csms dead-letters delete ID`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one dead letter.")

        @Argument(help: "The dead letter id.")
        var id: Int64

        @OptionGroup var settings: SettingOptions

        func run() async throws {
            try await settings.withStore { configuration, store in
                _ = try await DeadLettersCommand.letter(id, in: store)
                do {
                    try await store.commit([.deleteDeadLetter(id: id)])
                } catch {
                    throw Failure.store("\(error)")
                }
                print("deleted dead letter \(id)")
            }
        }
    }

    /// The letter, or a clear failure.
    static func letter(_ id: Int64, in store: any CSMSStore) async throws(Failure) -> DeadLetter {
        let letter: DeadLetter?
        do {
            letter = try await store.deadLetter(id: id)
        } catch {
            throw .store("\(error)")
        }
        guard let letter else { throw .notFound("no dead letter \(id)") }
        return letter
    }
}
