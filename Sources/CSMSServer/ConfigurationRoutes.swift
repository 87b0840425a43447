import CSMSCore
import Foundation
import Hummingbird
import OCPP

/// `GET /charge-points/{id}/configuration` and `PUT` to change keys: GetConfiguration /
/// ChangeConfiguration (1.6) or GetVariables / SetVariables (2.x) as operator commands, with
/// the values learnt cached in the shadow's `reported.configuration` (docs/commands.md).
///
/// In 2.x a key is `Component.Variable` (component and variable names, no instance or EVSE).
struct ConfigurationRoutes: Sendable {
    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine
    let clock: any WallClock

    /// The most keys one request may name.
    static let maxKeys = 100

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("charge-points/:id/configuration") { request, context in
            try await get(try CommandRoutes.chargePointId(context), request: request)
        }
        group.put("charge-points/:id/configuration") { request, context in
            try await put(try CommandRoutes.chargePointId(context), request: request)
        }
    }

    /// One command through the engine; its final record, or the 502/504/409 answer thrown.
    private func run(_ action: String, _ payload: JSONValue, on connection: StationConnection) async throws
        -> CommandRecord
    {
        let (_, completion) = try await CommandRoutes.submit(engine, action: action, payload: payload, on: connection)
        let record = await completion.record()
        guard record.state == .answered else { throw CommandFailure(record: record) }
        return record
    }

    /// `GET ?keys=a,b`: the values the station reports (all of them in 1.6 when no keys).
    private func get(_ id: ChargePointID, request: Request) async throws -> Response {
        let keys = try Self.keys(request.uri.queryParameters["keys"].map(String.init))
        let connection = try await CommandRoutes.connection(id, store: store, registry: registry)
        let now = clock.now()
        var values: [ConfigurationValue] = []
        var unknown: [JSONValue] = []
        let record: CommandRecord
        do {
            if connection.session.version.family == .v16 {
                let payload: JSONValue = keys.isEmpty ? [:] : ["key": .array(keys.map { .string($0) })]
                record = try await run("GetConfiguration", payload, on: connection)
                for item in record.response?["configurationKey"]?.arrayValue ?? [] {
                    guard let key = item["key"]?.stringValue else { continue }
                    values.append(
                        ConfigurationValue(
                            chargePointId: id, key: key, value: item["value"]?.stringValue,
                            readonly: item["readonly"] == .bool(true), updatedAt: now))
                }
                unknown = record.response?["unknownKey"]?.arrayValue ?? []
            } else {
                guard !keys.isEmpty else {
                    throw APIError(
                        .invalidRequest,
                        "keys=Component.Variable,... is required in OCPP 2.x; the whole device model comes from "
                            + "GetBaseReport (GET /charge-points/{id}/device-model)")
                }
                let data = try keys.map { key -> JSONValue in
                    let (component, variable) = try Self.split(key)
                    return ["component": ["name": .string(component)], "variable": ["name": .string(variable)]]
                }
                record = try await run("GetVariables", ["getVariableData": .array(data)], on: connection)
                for result in record.response?["getVariableResult"]?.arrayValue ?? [] {
                    let key = Self.key(of: result)
                    if result["attributeStatus"]?.stringValue == "Accepted" {
                        values.append(
                            ConfigurationValue(
                                chargePointId: id, key: key, value: result["attributeValue"]?.stringValue,
                                updatedAt: now))
                    } else {
                        unknown.append(["key": .string(key), "status": result["attributeStatus"] ?? .null])
                    }
                }
            }
        } catch let failure as CommandFailure {
            return CommandRoutes.outcome(failure.record)
        }
        if !values.isEmpty { try await store.commit([.saveConfigurationValues(values)]) }
        let items: [JSONValue] = values.map { value in
            var o: JSONObject = ["key": .string(value.key), "value": value.value.map { .string($0) } ?? .null]
            if let readonly = value.readonly { o["readonly"] = .bool(readonly) }
            return .object(o)
        }
        return JSONResponse.make(
            ["commandId": .string(record.id), "values": .array(items), "unknownKeys": .array(unknown)])
    }

    /// `PUT` with `{"key": "value", ...}`: ChangeConfiguration per key (1.6, one after the
    /// other) or one SetVariables (2.x); answers each key's status. Accepted (and
    /// RebootRequired) values are cached.
    private func put(_ id: ChargePointID, request: Request) async throws -> Response {
        guard case .object(let body) = try await CommandRoutes.jsonBody(request), !body.isEmpty,
            body.count <= Self.maxKeys
        else {
            throw APIError(
                .invalidRequest, "body must be a JSON object of 1 to \(Self.maxKeys) keys with string values")
        }
        var changes: [(key: String, value: String)] = []
        for (key, value) in body {
            guard case .string(let text) = value else {
                throw APIError(.invalidRequest, "the value of '\(key.prefix(50))' must be a string")
            }
            changes.append((key, text))
        }
        let connection = try await CommandRoutes.connection(id, store: store, registry: registry)
        let now = clock.now()
        var results: [JSONValue] = []
        var cached: [ConfigurationValue] = []
        func result(_ key: String, _ status: String, _ commandId: String) {
            results.append(["key": .string(key), "status": .string(status), "commandId": .string(commandId)])
        }
        do {
            if connection.session.version.family == .v16 {
                for change in changes {
                    let record = try await run(
                        "ChangeConfiguration", ["key": .string(change.key), "value": .string(change.value)],
                        on: connection)
                    let status = record.response?["status"]?.stringValue ?? "Rejected"
                    result(change.key, status, record.id)
                    if status == "Accepted" || status == "RebootRequired" {
                        cached.append(
                            ConfigurationValue(chargePointId: id, key: change.key, value: change.value, updatedAt: now))
                    }
                }
            } else {
                let data = try changes.map { change -> JSONValue in
                    let (component, variable) = try Self.split(change.key)
                    return [
                        "attributeValue": .string(change.value), "component": ["name": .string(component)],
                        "variable": ["name": .string(variable)],
                    ]
                }
                let record = try await run("SetVariables", ["setVariableData": .array(data)], on: connection)
                for item in record.response?["setVariableResult"]?.arrayValue ?? [] {
                    let key = Self.key(of: item)
                    let status = item["attributeStatus"]?.stringValue ?? "Rejected"
                    result(key, status, record.id)
                    if status == "Accepted" || status == "RebootRequired",
                        let change = changes.first(where: { $0.key == key })
                    {
                        cached.append(
                            ConfigurationValue(chargePointId: id, key: key, value: change.value, updatedAt: now))
                    }
                }
            }
        } catch let failure as CommandFailure {
            return CommandRoutes.outcome(failure.record)
        }
        if !cached.isEmpty { try await store.commit([.saveConfigurationValues(cached)]) }
        return JSONResponse.make(["results": .array(results)])
    }

    /// The keys of `keys=a,b` (none when absent).
    static func keys(_ text: String?) throws -> [String] {
        guard let text, !text.isEmpty else { return [] }
        let keys = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard keys.count <= maxKeys, keys.allSatisfy({ $0.count <= 101 }) else {
            throw APIError(.invalidRequest, "at most \(maxKeys) keys of at most 101 characters")
        }
        return keys
    }

    /// `Component.Variable` split at the first dot.
    static func split(_ key: String) throws -> (component: String, variable: String) {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw APIError(.invalidRequest, "a 2.x key is Component.Variable, got '\(key.prefix(50))'")
        }
        return (parts[0], parts[1])
    }

    /// `Component.Variable` of a GetVariables / SetVariables result.
    static func key(of result: JSONValue) -> String {
        let component = result["component"]?["name"]?.stringValue ?? ""
        let variable = result["variable"]?["name"]?.stringValue ?? ""
        return "\(component).\(variable)"
    }
}

/// A command behind a convenience route that did not end `Answered`.
struct CommandFailure: Error {
    let record: CommandRecord
}
