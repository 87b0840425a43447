import ArgumentParser
import CSMSCore
import CSMSServer
import Foundation
import OCPP

/// `csms messages tail ID`: a station's OCPP message log (docs/operations.md, "Message log").
struct MessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages", abstract: "Show a charge point's OCPP message log.", subcommands: [Tail.self])

    /// `csms messages tail ID [-n N] [--follow] [--action A] [--json]`.
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the newest entries of a charge point's message log; --follow keeps printing new ones.")

        @Argument(help: "The charge point id.")
        var id: String

        @Option(name: [.customShort("n"), .long], help: "How many of the newest entries to print first.")
        var lines = 20

        @Option(help: "Only entries of this action.")
        var action: String?

        @Flag(help: "Keep polling for new entries (every second) until interrupted.")
        var follow = false

        @Flag(help: "One JSON object per line.")
        var json = false

        @OptionGroup var settings: SettingOptions

        func validate() throws {
            guard ChargePointID(id) != nil else { throw ValidationError("invalid charge point id '\(id.prefix(60))'") }
            guard lines >= 0 else { throw ValidationError("--lines must not be negative") }
        }

        func run() async throws {
            try await settings.withStore { configuration, store in
                let station = ChargePointID(id)!
                var last: Int64?
                var newest: [MessageLogEntry] = []
                do {
                    // The log is bounded per station (messageLog.maxPerStation), so paging
                    // through it once to find the newest entries is cheap.
                    while true {
                        let page = try await store.messageLog(
                            chargePointId: station, action: action, after: last, limit: 1000)
                        newest = Array((newest + page).suffix(lines))
                        guard let id = page.last?.id else { break }
                        last = id
                    }
                    for entry in newest { print(line(entry)) }
                    while follow {
                        try await Task.sleep(for: .seconds(1))
                        let page = try await store.messageLog(
                            chargePointId: station, action: action, after: last, limit: 1000)
                        for entry in page { print(line(entry)) }
                        if let id = page.last?.id { last = id }
                    }
                } catch let error as StoreError {
                    throw Failure.store("\(error)")
                }
            }
        }

        private func line(_ entry: MessageLogEntry) -> String {
            if json { return MessageLogView.json(entry).jsonText }
            let arrow = entry.direction == .inbound ? "<-" : "->"
            var text =
                "\(OCPPDateTime(entry.at).text) \(arrow) \(entry.messageType) \(entry.action ?? "-") \(entry.messageId)"
            text += " \(entry.size)B"
            if let micros = entry.processingMicros { text += " \(micros)us" }
            if let payload = entry.payload { text += " \(payload)" }
            return text
        }
    }
}
