import Foundation

/// Why a boot policy setting could not be used (the configuration names the key).
public struct BootPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    /// An error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

extension BootPolicy {
    /// Parses firmware rules from JSON: an array of
    /// `{"vendor", "model"?, "minimumFirmware", "action": "accept"|"pending"|"reject", "firmwareUrl"?}`.
    /// Refuses an empty vendor, a minimum without a digit, and a `firmwareUrl` that is not an
    /// absolute URL of at most 512 characters (the OCPP 2.0.1 `location` limit).
    public static func parseFirmwareRules(_ json: String) throws(BootPolicyError) -> [FirmwareRule] {
        let rules: [FirmwareRule]
        do {
            rules = try JSONDecoder().decode([FirmwareRule].self, from: Data(json.utf8))
        } catch {
            throw BootPolicyError(
                "expected a JSON array of {\"vendor\", \"model\"?, \"minimumFirmware\", \"action\": "
                    + "accept|pending|reject, \"firmwareUrl\"?} (\(Self.summary(error)))")
        }
        for (index, rule) in rules.enumerated() {
            guard !rule.vendor.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw BootPolicyError("rule \(index + 1): vendor must not be empty")
            }
            guard FirmwareVersion(rule.minimumFirmware) != nil else {
                throw BootPolicyError("rule \(index + 1): minimumFirmware must contain a version number")
            }
            if let url = rule.firmwareUrl {
                guard url.count <= 512, let parsed = URL(string: url), parsed.scheme != nil, parsed.host != nil else {
                    throw BootPolicyError(
                        "rule \(index + 1): firmwareUrl must be an absolute URL (at most 512 characters)")
                }
            }
        }
        return rules
    }

    /// Parses an allow-list from JSON: an array of `{"vendor", "model"?}`.
    public static func parseAllowedModels(_ json: String) throws(BootPolicyError) -> [ModelMatch] {
        let entries: [ModelMatch]
        do {
            entries = try JSONDecoder().decode([ModelMatch].self, from: Data(json.utf8))
        } catch {
            throw BootPolicyError("expected a JSON array of {\"vendor\", \"model\"?} (\(Self.summary(error)))")
        }
        for (index, entry) in entries.enumerated() where entry.vendor.trimmingCharacters(in: .whitespaces).isEmpty {
            throw BootPolicyError("entry \(index + 1): vendor must not be empty")
        }
        return entries
    }

    /// A short description of a decoding error (the field and the problem, not the input).
    private static func summary(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not valid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0 + 1)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context))"
        @unknown default: return "not valid JSON"
        }
    }
}
