import ArgumentParser
import CSMSServer
import Foundation
import Logging

/// `csms`: the OCPP central system's command-line entry point.
@main
struct CSMS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csms",
        abstract: "An OCPP 1.6J / 2.0.1 / 2.1 central system (CSMS).",
        discussion: """
            Every setting can be given as a flag, as a CSMS_* environment variable, or in a JSON \
            config file (--config or CSMS_CONFIG); flags win over the environment, which wins over \
            the file. See docs/configuration.md.
            """,
        subcommands: [
            ServeCommand.self, ChargePointsCommand.self, IdTokensCommand.self, DeadLettersCommand.self,
            MessagesCommand.self, CACommand.self, APITokensCommand.self, ConfigCommand.self,
        ])

    /// Parses the command line with every setting's flag expanded (`SettingKey.expandingFlags`:
    /// `--rate-limit-rate 5` is `--set rateLimit.rate=5`), then runs the chosen command.
    static func main() async {
        do {
            var command = try parseAsRoot(SettingKey.expandingFlags(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// A failure that ends the program with a one-line message on standard error.
enum Failure: Error {
    /// A setting is wrong (exit status 2).
    case configuration(String)
    /// The database cannot be opened or used (exit status 1).
    case store(String)
    /// A record named on the command line does not exist (exit status 1).
    case notFound(String)
    /// Replaying a dead letter failed again (exit status 1).
    case replay(String)

    /// Prints the message and returns the exit code to throw.
    func report() -> ExitCode {
        switch self {
        case .configuration(let message):
            printError("csms: configuration error: \(message)")
            return ExitCode(2)
        case .store(let message):
            printError("csms: database error: \(message)")
            return ExitCode(1)
        case .notFound(let message), .replay(let message):
            printError("csms: \(message)")
            return ExitCode(1)
        }
    }
}

/// Writes `line` to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs `body`, turning a `Failure` into its message and exit code.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        throw failure.report()
    }
}

/// Installs the process-wide log handler for `configuration` and returns the root logger.
///
/// JSON (one object per line, `JSONLogHandler`) or text (`StreamLogHandler`); JSON is the
/// default when standard output is not a terminal. `toStandardError` sends lines to standard
/// error (commands whose standard output is their result). With `levelSwitch` the level
/// follows the switch (a configuration reload changes it); else it is `logLevel`, fixed.
func bootstrapLogging(
    _ configuration: ServerConfiguration, toStandardError: Bool = false, levelSwitch: LogLevelSwitch? = nil
) -> Logger {
    let format = configuration.logFormat ?? (isatty(STDOUT_FILENO) == 0 ? .json : .text)
    let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
    LoggingSystem.bootstrap { label in
        var handler: any LogHandler
        switch (format, toStandardError) {
        case (.json, false): handler = JSONLogHandler(label: label)
        case (.json, true):
            handler = JSONLogHandler(label: label) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        case (.text, false): handler = StreamLogHandler.standardOutput(label: label)
        case (.text, true): handler = StreamLogHandler.standardError(label: label)
        }
        guard let levelSwitch else {
            handler.logLevel = level
            return handler
        }
        handler.logLevel = .trace  // the switch filters
        return LiveLevelLogHandler(handler, level: levelSwitch)
    }
    return Logger(label: "csms")
}
