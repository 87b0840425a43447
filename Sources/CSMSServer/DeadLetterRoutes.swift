public import CSMSCore
import CSMSProcessor
import Foundation
import Hummingbird
public import OCPP

/// The operator API's dead letters under `/api/v1/dead-letters` (docs/api.md): messages that
/// could not be processed, kept with their raw frame (invariant 7), to list, inspect, replay
/// through the pipeline, or delete.
struct DeadLetterRoutes: Sendable {
    let store: any CSMSStore
    let processor: any InboundMessageHandling

    /// Adds the routes to `group` (which already requires the bearer token).
    func add<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("dead-letters") { request, _ in try await list(request) }
        group.get("dead-letters/:id") { _, context in
            JSONResponse.make(DeadLetterView.json(try await letter(try letterId(context))))
        }
        group.post("dead-letters/:id/replay") { _, context in try await replay(try letterId(context)) }
        group.delete("dead-letters/:id") { _, context in
            let id = try letterId(context)
            _ = try await letter(id)
            try await store.commit([.deleteDeadLetter(id: id)])
            return Response(status: .noContent)
        }
    }

    /// `GET /dead-letters?chargePointId=&cursor=&limit=`: `{"items": [...], "nextCursor"}`,
    /// oldest first. The cursor is opaque to clients (today: the last id of the page).
    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try PageQuery.limit(query["limit"].map(String.init))
        var station: ChargePointID?
        if let text = query["chargePointId"] {
            guard let id = ChargePointID(String(text)) else {
                throw APIError(.invalidRequest, "invalid chargePointId")
            }
            station = id
        }
        let after = try PageQuery.cursor(query["cursor"].map(String.init))
        let page = try await store.deadLetters(chargePointId: station, after: after, limit: limit + 1)
        return PageQuery.response(page, limit: limit, id: \.id, json: DeadLetterView.json)
    }

    /// `POST /dead-letters/{id}/replay`: 200 `{"outcome": "processed", "answer": frame|null}`
    /// (the letter is gone), or 409 `replay_failed` with the new error (one more attempt is
    /// counted on the letter).
    private func replay(_ id: Int64) async throws -> Response {
        let stored = try await letter(id)
        switch await processor.replay(stored) {
        case .processed(let answer):
            var body = JSONObject()
            body["outcome"] = "processed"
            body["answer"] = answer.flatMap { try? JSONValue(parsing: $0) } ?? .null
            return JSONResponse.make(.object(body))
        case .failed(let error):
            throw APIError(.replayFailed, "replay failed: \(error)")
        }
    }

    private func letter(_ id: Int64) async throws -> DeadLetter {
        guard let letter = try await store.deadLetter(id: id) else {
            throw APIError(.notFound, "no dead letter \(id)")
        }
        return letter
    }

    private func letterId(_ context: some RequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError(.invalidRequest, "a dead letter id is a positive integer")
        }
        return id
    }
}

/// The JSON form of a dead letter, shared by the API and the CLI (docs/api.md).
public enum DeadLetterView {
    /// A dead letter as JSON.
    public static func json(_ letter: DeadLetter) -> JSONValue {
        var o = JSONObject()
        o["id"] = letter.id.map { .number(JSONNumber(Int($0))) } ?? .null
        o["chargePointId"] = .string(letter.chargePointId.rawValue)
        o["protocolVersion"] = .string(letter.protocolVersion)
        o["reason"] = .string(letter.reason)
        o["error"] = .string(letter.error)
        o["receivedAt"] = ChargePointView.time(letter.receivedAt)
        o["attempts"] = .number(JSONNumber(letter.attempts))
        o["rawFrame"] = .string(letter.rawFrame)
        return .object(o)
    }
}
