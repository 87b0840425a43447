import CSMSCore
public import Hummingbird
public import OCPP

/// An operator API error: a code (extensible), a message for people, and the HTTP status,
/// which is derived from the code in one place (`status`). Every error an API route throws
/// reaches the client through `init(mapping:)` as `{"error": {"code": …, "message": …}}`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of API error.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The code text, e.g. `not_found`.
        public let rawValue: String
        /// A code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// No or a wrong bearer token (401).
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The token is valid but its scope does not allow the request (403).
        public static let forbidden = Code(rawValue: "forbidden")
        /// No such resource (404).
        public static let notFound = Code(rawValue: "not_found")
        /// The request is malformed: body, parameter or path (400).
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// The method is not allowed on the resource (405).
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// The body is larger than allowed (413).
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        /// The request conflicts with the stored state (409).
        public static let conflict = Code(rawValue: "conflict")
        /// Replaying a dead letter failed again (409).
        public static let replayFailed = Code(rawValue: "replay_failed")
        /// The database cannot be reached (503).
        public static let unavailable = Code(rawValue: "unavailable")
        /// Anything else (500).
        public static let internalError = Code(rawValue: "internal_error")
        /// A well-formed request whose OCPP payload breaks its schema (422, with violations).
        public static let invalidPayload = Code(rawValue: "invalid_payload")
        /// The station's command queue is full (429).
        public static let queueFull = Code(rawValue: "queue_full")
    }

    /// The kind of error.
    public let code: Code
    /// What happened, for people (never a secret, never internal error text).
    public let message: String
    /// Machine-readable details (e.g. schema violations), sent as `details` when present.
    public let details: JSONValue?

    /// An error.
    public init(_ code: Code, _ message: String, details: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }

    /// The HTTP status of each code: the one mapping from codes to statuses.
    public var status: HTTPResponse.Status {
        switch code {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .invalidRequest: .badRequest
        case .methodNotAllowed: .methodNotAllowed
        case .payloadTooLarge: .contentTooLarge
        case .conflict, .replayFailed: .conflict
        case .invalidPayload: .unprocessableContent
        case .queueFull: .tooManyRequests
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// The API error for any error a route throws: the one mapping from errors to API errors.
    ///
    /// `APIError` passes through; `StoreError.unavailable` is 503, other store errors 500;
    /// hummingbird's `HTTPError` keeps its status class (404 for unknown routes, 413 for an
    /// over-size body, 400 for undecodable input); everything else is a 500 whose message
    /// hides the cause (the cause is logged).
    public init(mapping error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as StoreError:
            self =
                error.code == .unavailable
                ? APIError(.unavailable, "the database is unavailable") : APIError(.internalError, "storage failure")
        case let error as HTTPError:
            switch error.status {
            case .notFound: self = APIError(.notFound, "no such resource")
            case .methodNotAllowed: self = APIError(.methodNotAllowed, "method not allowed")
            case .contentTooLarge: self = APIError(.payloadTooLarge, "request body too large")
            case .unauthorized: self = APIError(.unauthorized, "missing or invalid bearer token")
            case let status where (400..<500).contains(status.code):
                self = APIError(.invalidRequest, "invalid request")
            default: self = APIError(.internalError, "internal error")
            }
        default:
            self = APIError(.internalError, "internal error")
        }
    }

    /// The JSON response: `{"error": {"code": …, "message": …}}`, with
    /// `WWW-Authenticate: Bearer` on a 401.
    public func response() -> Response {
        var error: JSONObject = ["code": .string(code.rawValue), "message": .string(message)]
        if let details { error["details"] = details }
        let body: JSONValue = ["error": .object(error)]
        var response = JSONResponse.make(body, status: status)
        if code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

/// Turns every error thrown below it into an `APIError` JSON response, and logs server-side
/// failures (5xx) with their cause.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(mapping: error)
            if apiError.status.code >= 500 {
                context.logger.error(
                    "API request failed",
                    metadata: ["http.path": .string(request.uri.path), "error": .string(String(describing: error))])
            }
            return apiError.response()
        }
    }
}

/// JSON response bodies written with the OCPP module's serializer.
enum JSONResponse {
    /// A response carrying `value` as `application/json`.
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes = value.serialized()
        bytes.append(UInt8(ascii: "\n"))
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
