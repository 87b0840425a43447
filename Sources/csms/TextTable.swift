/// Plain-text tables for the CLI's list commands: columns padded to their widest cell,
/// separated by two spaces, one line per row, trailing spaces trimmed.
enum TextTable {
    /// The table of `rows` under `header` (every row has the header's number of cells).
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return ([header] + rows).map(line).joined()
    }
}
