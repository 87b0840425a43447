import ArgumentParser
import CSMSServer

/// `csms config`: about the settings themselves.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the configuration reference.",
        subcommands: [ReferenceCommand.self])

    /// `csms config reference`: prints the settings table of docs/configuration.md.
    struct ReferenceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reference",
            abstract:
                "Print the Markdown table of every setting (key, environment variable, default, reload, meaning).",
            discussion: """
                The table is generated from the key definitions in the code; docs/configuration.md holds a \
                copy between its markers, which the tests keep current. --marked adds the markers.
                """)

        @Flag(help: "Print the table between the markers docs/configuration.md holds it in.")
        var marked = false

        func run() {
            print(marked ? ConfigurationReference.markedTable : ConfigurationReference.markdownTable(), terminator: "")
        }
    }
}
