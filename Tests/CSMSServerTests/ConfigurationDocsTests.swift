import CSMSServer
import Foundation
import Testing

/// docs/configuration.md is checked against the code's key definitions (`SettingKey.all`): every
/// key has exactly one row, with the environment variable the code derives, and no row names a
/// key that does not exist. A key added without documentation fails here.
@Suite("docs/configuration.md matches the settings the code reads")
struct ConfigurationDocsTests {
    /// `(key, environment variable)` of every table row whose first cell is a backticked key.
    static func documentedRows() throws -> [(key: String, environment: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        var rows: [(String, String)] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count > 4 else { continue }
            let key = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let environment = cells[3].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            rows.append((key, environment))
        }
        return rows
    }

    @Test func everyKeyHasOneRowWithItsEnvironmentVariable() throws {
        let rows = try Self.documentedRows()
        let documented = Dictionary(grouping: rows, by: \.key)
        for key in SettingKey.all {
            let matches = documented[key.name] ?? []
            #expect(matches.count == 1, "\(key.name): \(matches.count) rows in docs/configuration.md")
            #expect(matches.first?.environment == key.environmentVariable, "\(key.name)")
        }
        let known = Set(SettingKey.all.map(\.name))
        for row in rows {
            #expect(
                known.contains(row.key), "docs/configuration.md documents `\(row.key)`, which the code does not read")
        }
    }
}
