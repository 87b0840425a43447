import CSMSServer
import Foundation
import Testing

/// docs/configuration.md holds the configuration reference generated from the code's key
/// definitions (`SettingKey.all`, `ConfigurationReference`): the block between the markers must
/// be exactly what `csms config reference --marked` prints, so a key added, changed or removed
/// without regenerating the table fails here.
@Suite("docs/configuration.md matches the settings the code reads")
struct ConfigurationDocsTests {
    static func documentation() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
    }

    /// The text from the begin marker to the end marker's line end, if both are there once.
    static func markedBlock(in text: String) -> Substring? {
        let begin = text.ranges(of: ConfigurationReference.beginMarker)
        let end = text.ranges(of: ConfigurationReference.endMarker)
        guard begin.count == 1, end.count == 1, let first = begin.first, let last = end.first,
            first.lowerBound < last.lowerBound
        else { return nil }
        let lineEnd = text[last.upperBound...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
        return text[first.lowerBound..<lineEnd]
    }

    @Test func theDocumentHoldsExactlyTheGeneratedTable() throws {
        let block = try #require(Self.markedBlock(in: try Self.documentation()), "markers missing or repeated")
        let generated = ConfigurationReference.markedTable
        if block != generated[...] {
            let documented = block.split(separator: "\n")
            let expected = generated.split(separator: "\n")
            let firstDifference =
                zip(documented, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(documented.count, expected.count)
            Issue.record(
                """
                docs/configuration.md is stale: run `csms config reference --marked` and paste its output \
                between the markers. First differing line \(firstDifference + 1): \
                documented '\(documented.dropFirst(firstDifference).first ?? "")', \
                generated '\(expected.dropFirst(firstDifference).first ?? "")'
                """)
        }
    }

    @Test func everyKeyIsDocumentedInItsDefinition() {
        var names = Set<String>()
        for key in SettingKey.all {
            #expect(names.insert(key.name).inserted, "\(key.name) is listed twice in SettingKey.all")
            #expect(!key.meaning.isEmpty, "\(key.name) has no meaning in its definition")
            #expect(!key.defaultValue.isEmpty, "\(key.name) has no default in its definition")
        }
    }

    @Test func everyKeyHasOneRowWithItsEnvironmentVariableAndReloadability() {
        let rows = ConfigurationReference.markdownTable().split(separator: "\n").dropFirst(2)
        #expect(rows.count == SettingKey.all.count)
        for (row, key) in zip(rows, SettingKey.all) {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells[0] == "`\(key.name)`")
            #expect(cells[1] == "`\(key.environmentVariable)`")
            #expect(cells[3] == ConfigurationReference.reloadText(key.reload))
        }
    }

    @Test func aStaleDocumentIsNoticed() {
        let stale = "intro\n" + ConfigurationReference.markedTable.replacing("`9000`", with: "`9001`") + "outro\n"
        #expect(Self.markedBlock(in: stale).map(String.init) != ConfigurationReference.markedTable)
        let current = "intro\n" + ConfigurationReference.markedTable + "outro\n"
        #expect(Self.markedBlock(in: current).map(String.init) == ConfigurationReference.markedTable)
        #expect(Self.markedBlock(in: "no markers") == nil)
    }
}
