public import CSMSCore
public import Foundation
public import OCPP

/// The fields of an id token registry entry as the operator gives them (API `PUT` body,
/// CSV import row), checked strictly, and its JSON view (docs/api.md, "Id tokens").
public enum IdTokenFields {
    /// The members a `PUT /api/v1/id-tokens/{idToken}` body may have.
    public static let members = [
        "status", "type", "expiryDate", "groupIdToken", "chargePointIds", "evseIds", "language", "personalMessage",
        "external",
    ]

    /// The statuses a registry entry may have (OCPP 2.0.1 `AuthorizationStatusEnumType`).
    public static let statuses = [
        "Accepted", "Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE",
        "NotAtThisLocation", "NotAtThisTime", "Unknown",
    ]

    /// The longest `language` (2.0.1 `IdTokenInfoType.language1`: 8 characters).
    public static let maxLanguageLength = 8
    /// The longest `personalMessage` (2.0.1 `MessageContentType.content`: 512 characters).
    public static let maxPersonalMessageLength = 512

    /// The registry entry for `idToken` from the JSON object `object`: `status` is required;
    /// every other member is optional (`null` or absent: not set). Unknown members, wrong
    /// types and invalid values are errors naming the member.
    public static func record(
        idToken: String, object: JSONObject, at date: Date
    ) throws(APIError) -> IdTokenRecord {
        guard IdTokenRecord.isValidToken(idToken) else { throw invalidToken }
        var record = IdTokenRecord(idToken: idToken, createdAt: date)
        var hasStatus = false
        for (key, value) in object {
            if case .null = value { continue }
            switch key {
            case "status":
                guard let text = value.stringValue, statuses.contains(text) else {
                    throw APIError(.invalidRequest, "status must be one of \(statuses.joined(separator: ", "))")
                }
                record.status = AuthorizationStatus(rawValue: text)
                hasStatus = true
            case "type":
                guard let text = value.stringValue, IdTokenRecord.knownTypes.contains(text) else {
                    let types = IdTokenRecord.knownTypes.sorted().joined(separator: ", ")
                    throw APIError(.invalidRequest, "type must be one of \(types)")
                }
                record.type = text
            case "expiryDate":
                guard let text = value.stringValue, let date = OCPPDateTime(rfc3339: text) else {
                    throw APIError(.invalidRequest, "expiryDate must be an RFC 3339 date-time with a time zone")
                }
                record.expiryDate = date.date
            case "groupIdToken":
                guard let text = value.stringValue, IdTokenRecord.isValidToken(text) else {
                    throw APIError(.invalidRequest, "groupIdToken must be 1 to 255 printable ASCII characters")
                }
                record.groupIdToken = text
            case "chargePointIds":
                guard let items = value.arrayValue else {
                    throw APIError(.invalidRequest, "chargePointIds must be an array of charge point ids")
                }
                record.chargePointIds = try items.map { (item: JSONValue) throws(APIError) -> ChargePointID in
                    guard let text = item.stringValue, let id = ChargePointID(text) else {
                        throw APIError(.invalidRequest, "chargePointIds holds an invalid charge point id")
                    }
                    return id
                }
            case "evseIds":
                guard let items = value.arrayValue else {
                    throw APIError(.invalidRequest, "evseIds must be an array of positive integers")
                }
                record.evseIds = try items.map { (item: JSONValue) throws(APIError) -> Int in
                    guard case .number(let number) = item, let id = number.integralValue, id > 0 else {
                        throw APIError(.invalidRequest, "evseIds must be an array of positive integers")
                    }
                    return id
                }
            case "language":
                guard let text = value.stringValue, (1...maxLanguageLength).contains(text.count) else {
                    throw APIError(.invalidRequest, "language must be a string of 1 to \(maxLanguageLength) characters")
                }
                record.language = text
            case "personalMessage":
                guard let text = value.stringValue, (1...maxPersonalMessageLength).contains(text.count) else {
                    throw APIError(
                        .invalidRequest,
                        "personalMessage must be a string of 1 to \(maxPersonalMessageLength) characters")
                }
                record.personalMessage = text
            case "external":
                guard case .bool(let flag) = value else {
                    throw APIError(.invalidRequest, "external must be true or false")
                }
                record.external = flag
            default:
                throw APIError(
                    .invalidRequest,
                    "unknown member '\(key.prefix(40))' (allowed: \(members.joined(separator: ", ")))")
            }
        }
        guard hasStatus else { throw APIError(.invalidRequest, "status is required") }
        return record
    }

    /// The error for an invalid token in a path or file.
    static let invalidToken = APIError(.invalidRequest, "invalid id token (1 to 255 printable ASCII characters)")

    /// The JSON view of an entry: every member present (`null` when not set).
    public static func view(_ record: IdTokenRecord) -> JSONValue {
        var o = JSONObject()
        o["idToken"] = .string(record.idToken)
        o["type"] = record.type.map(JSONValue.string) ?? .null
        o["status"] = .string(record.status.rawValue)
        o["expiryDate"] = record.expiryDate.map { .string(OCPPDateTime($0).text) } ?? .null
        o["groupIdToken"] = record.groupIdToken.map(JSONValue.string) ?? .null
        o["chargePointIds"] = record.chargePointIds.map { .array($0.map { .string($0.rawValue) }) } ?? .null
        o["evseIds"] = record.evseIds.map { .array($0.map { .number(JSONNumber($0)) }) } ?? .null
        o["language"] = record.language.map(JSONValue.string) ?? .null
        o["personalMessage"] = record.personalMessage.map(JSONValue.string) ?? .null
        o["external"] = .bool(record.external)
        o["createdAt"] = .string(OCPPDateTime(record.createdAt).text)
        o["updatedAt"] = .string(OCPPDateTime(record.updatedAt).text)
        return .object(o)
    }
}
