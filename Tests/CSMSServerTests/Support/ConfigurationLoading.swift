import CSMSServer
import Configuration
import Foundation

/// The server configuration from command-line values, environment variables and a config
/// file with the text `file` (written to a temporary file for the call): the one loader of the
/// configuration tests.
func loadConfiguration(
    commandLine: [SettingKey: ConfigValue] = [:], environment: [String: String] = [:], file: String? = nil
) async throws -> ServerConfiguration {
    var path: String?
    if let file {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csms-config-\(UUID()).json")
        try Data(file.utf8).write(to: url)
        path = url.path
    }
    defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
    let reader = try await ConfigurationSources.reader(
        commandLine: commandLine, environment: environment, configFile: path)
    return try ServerConfiguration(reader: reader)
}
