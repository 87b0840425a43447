public import CSMSCore
public import Foundation
import OCPP

/// Reads id token registry entries from CSV (`csms id-tokens import FILE.csv`,
/// docs/authorization.md): RFC 4180 fields (quoted fields may hold commas, quotes doubled
/// and line breaks), a header row naming the columns, one entry per row.
///
/// Columns: `idToken` and `status` are required; `type`, `expiryDate` (RFC 3339),
/// `groupIdToken`, `chargePointIds` and `evseIds` (lists separated by `;`), `language`,
/// `personalMessage` and `external` (`true`/`false`) are optional. An empty cell is "not
/// set". The rules are those of the API's `PUT /api/v1/id-tokens/{idToken}`.
public enum IdTokenCSV {
    /// A problem in one row (1-based line of the file's row).
    public struct RowError: Error, Equatable, CustomStringConvertible {
        /// The row's line number (the header is line 1).
        public let line: Int
        /// What is wrong.
        public let message: String

        /// `line N: message`.
        public var description: String { "line \(line): \(message)" }
    }

    /// Every problem of a file.
    public struct Failure: Error, Equatable {
        /// The problems, in line order.
        public let rows: [RowError]
    }

    /// The entries of `text`, stamped with `date`, or every row's problem. A token that
    /// appears twice is an error.
    public static func records(from text: String, at date: Date) -> Result<[IdTokenRecord], Failure> {
        let rows = parseRows(text)
        guard let header = rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            return .failure(Failure(rows: [RowError(line: 1, message: "the file is empty (a header row is needed)")]))
        }
        let allowed = ["idToken"] + IdTokenFields.members
        var errors: [RowError] = []
        for name in header where !allowed.contains(name) {
            errors.append(RowError(line: 1, message: "unknown column '\(name.prefix(40))'"))
        }
        for name in ["idToken", "status"] where !header.contains(name) {
            errors.append(RowError(line: 1, message: "missing column '\(name)'"))
        }
        if Set(header).count != header.count { errors.append(RowError(line: 1, message: "a column appears twice")) }
        guard errors.isEmpty else { return .failure(Failure(rows: errors)) }

        var records: [IdTokenRecord] = []
        var seen: Set<String> = []
        for row in rows.dropFirst() {
            if row.fields.allSatisfy({ $0.isEmpty }) { continue }  // blank line
            guard row.fields.count == header.count else {
                errors.append(
                    RowError(line: row.line, message: "expected \(header.count) fields, found \(row.fields.count)"))
                continue
            }
            var object = JSONObject()
            var token = ""
            for (name, cell) in zip(header, row.fields) where !cell.isEmpty {
                switch name {
                case "idToken": token = cell
                case "chargePointIds": object[name] = .array(list(cell).map(JSONValue.string))
                case "evseIds":
                    object[name] = .array(
                        list(cell).map { JSONNumber(literal: $0).map(JSONValue.number) ?? .string($0) })
                case "external":
                    switch cell.lowercased() {
                    case "true": object[name] = .bool(true)
                    case "false": object[name] = .bool(false)
                    default: object[name] = .string(cell)
                    }
                default: object[name] = .string(cell)
                }
            }
            do {
                let record = try IdTokenFields.record(idToken: token, object: object, at: date)
                guard seen.insert(token.lowercased()).inserted else {
                    errors.append(RowError(line: row.line, message: "id token \(token.prefix(60)) appears twice"))
                    continue
                }
                records.append(record)
            } catch {
                errors.append(RowError(line: row.line, message: error.message))
            }
        }
        return errors.isEmpty ? .success(records) : .failure(Failure(rows: errors))
    }

    private static func list(_ cell: String) -> [String] {
        cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The rows of an RFC 4180 text with the line each starts on.
    static func parseRows(_ text: String) -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var characters = Array(text.unicodeScalars)
        if characters.first == "\u{FEFF}" { characters.removeFirst() }  // byte order mark
        var index = 0
        func endRow() {
            fields.append(field)
            rows.append((rowLine, fields))
            fields = []
            field = ""
        }
        while index < characters.count {
            let c = characters[index]
            index += 1
            if inQuotes {
                if c == "\"" {
                    if index < characters.count, characters[index] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true
            case ",":
                fields.append(field)
                field = ""
            case "\r":
                continue
            case "\n":
                endRow()
                line += 1
                rowLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
