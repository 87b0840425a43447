/// The configuration reference: the Markdown table of every setting, generated from the key
/// definitions (`SettingKey.all`: name, environment variable, default, reloadability, meaning).
///
/// docs/configuration.md holds it between `beginMarker` and `endMarker`; `csms config reference`
/// prints it, and `ConfigurationDocsTests` fails when the file's copy is stale.
public enum ConfigurationReference {
    /// The line before the generated table in docs/configuration.md.
    public static let beginMarker = "<!-- BEGIN GENERATED: csms config reference -->"
    /// The line after the generated table in docs/configuration.md.
    public static let endMarker = "<!-- END GENERATED: csms config reference -->"

    /// The table, one row per key of `keys`, ending with a newline.
    public static func markdownTable(_ keys: [SettingKey] = SettingKey.all) -> String {
        var lines = [
            "| config key | environment | default | reload | meaning |",
            "|---|---|---|---|---|",
        ]
        for key in keys {
            let cells = [
                "`\(key.name)`", "`\(key.environmentVariable)`", cell(key.defaultValue), reloadText(key.reload),
                cell(key.meaning),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table between its markers, as docs/configuration.md holds it.
    public static var markedTable: String {
        beginMarker + "\n" + markdownTable() + endMarker + "\n"
    }

    /// How the reference shows a reloadability.
    public static func reloadText(_ reload: SettingKey.Reloadability) -> String {
        switch reload {
        case .live: "live"
        case .newConnections: "new connections"
        case .restart: "restart"
        }
    }

    /// `text` as one table cell: its lines joined by spaces, `|` escaped; empty as "—".
    static func cell(_ text: String) -> String {
        let joined = text.split(separator: "\n").map { $0.trimmingWhitespace() }.joined(separator: " ")
        return joined.isEmpty ? "—" : joined.replacing("|", with: "\\|")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
