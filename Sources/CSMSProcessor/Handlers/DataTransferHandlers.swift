import CSMSCore
public import OCPP
import OCPP16
import OCPP201
import OCPP21

/// A vendor-specific extension reached through DataTransfer (OCPP 1.6 §4.3, 2.0.1 Part 2
/// use case P02): the station names a `vendorId` and optionally a `messageId`; the vendor's
/// handler validates its own `data` and answers.
public protocol DataTransferVendor: Sendable {
    /// The vendor id this handler answers (matched exactly).
    var vendorId: String { get }

    /// Answers one DataTransfer of this vendor. `data` is the request's data (a string in
    /// 1.6, any JSON in 2.x). Return `.unknownMessageId` for a message id it does not know,
    /// `.rejected` for data it cannot accept.
    func handle(messageId: String?, data: JSONValue?, context: HandlerContext) async throws -> DataTransferAnswer
}

/// A vendor handler's answer.
public struct DataTransferAnswer: Sendable, Equatable {
    /// The DataTransfer status, the same four values in every version.
    public enum Status: String, Sendable, Equatable {
        /// Accepted.
        case accepted = "Accepted"
        /// Rejected (e.g. invalid data).
        case rejected = "Rejected"
        /// The vendor does not know the message id.
        case unknownMessageId = "UnknownMessageId"
        /// No handler for the vendor id.
        case unknownVendorId = "UnknownVendorId"
    }

    /// The status.
    public var status: Status
    /// Response data (sent as text in 1.6).
    public var data: JSONValue?

    /// An answer.
    public init(status: Status, data: JSONValue? = nil) {
        self.status = status
        self.data = data
    }
}

/// The DataTransfer vendor handlers, by vendor id. Empty by default: every vendor id is
/// answered `UnknownVendorId`.
public struct DataTransferVendors: Sendable {
    private var vendors: [String: any DataTransferVendor] = [:]

    /// A registry of `vendors`.
    public init(_ vendors: [any DataTransferVendor] = []) {
        for vendor in vendors { self.vendors[vendor.vendorId] = vendor }
    }

    /// The handler of `vendorId`.
    public subscript(vendorId: String) -> (any DataTransferVendor)? { vendors[vendorId] }

    /// Answers a DataTransfer: `UnknownVendorId` when no handler has the vendor id.
    func answer(vendorId: String, messageId: String?, data: JSONValue?, context: HandlerContext) async throws
        -> DataTransferAnswer
    {
        guard let vendor = vendors[vendorId] else { return DataTransferAnswer(status: .unknownVendorId) }
        return try await vendor.handle(messageId: messageId, data: data, context: context)
    }
}

/// The built-in test vendor `org.swift-csms.echo` (off by default; `dataTransfer.echoVendor`):
/// message `echo` answers Accepted with the request's data; message `reject` answers
/// Rejected; any other message id is unknown.
public struct EchoDataTransferVendor: DataTransferVendor {
    /// `org.swift-csms.echo`.
    public static let id = "org.swift-csms.echo"

    /// The echo vendor.
    public init() {}

    /// `org.swift-csms.echo`.
    public var vendorId: String { Self.id }

    /// Echoes `data` for message `echo`.
    public func handle(messageId: String?, data: JSONValue?, context: HandlerContext) async throws
        -> DataTransferAnswer
    {
        switch messageId {
        case "echo": DataTransferAnswer(status: .accepted, data: data)
        case "reject": DataTransferAnswer(status: .rejected)
        default: DataTransferAnswer(status: .unknownMessageId)
        }
    }
}

/// OCPP 1.6 DataTransfer from the station: answered by the vendor registry, kept as a
/// station report.
struct DataTransferHandler16: OCPPHandler {
    typealias Action = OCPP16.DataTransferAction

    func handle(
        _ request: OCPP16.DataTransferRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.DataTransferResponse> {
        let answer = try await context.services.dataTransferVendors.answer(
            vendorId: request.vendorId, messageId: request.messageId, data: request.data.map { .string($0) },
            context: context)
        let data: String? =
            switch answer.data {
            case nil: nil
            case .string(let text): text
            case let value?: String(decoding: value.serialized(), as: UTF8.self)
            }
        return HandlerResult(
            response: OCPP16.DataTransferResponse(
                status: .init(rawValue: answer.status.rawValue) ?? .rejected, data: data),
            writes: [.addStationReport(StationReportHandler<Action>.report(request.encode(), context: context))])
    }
}

/// OCPP 2.0 / 2.0.1 DataTransfer from the station.
struct DataTransferHandler201: OCPPHandler {
    typealias Action = OCPP201.DataTransferAction

    func handle(
        _ request: OCPP201.DataTransferRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.DataTransferResponse> {
        let answer = try await context.services.dataTransferVendors.answer(
            vendorId: request.vendorId, messageId: request.messageId, data: request.data, context: context)
        return HandlerResult(
            response: OCPP201.DataTransferResponse(
                status: .init(rawValue: answer.status.rawValue) ?? .rejected, data: answer.data),
            writes: [.addStationReport(StationReportHandler<Action>.report(request.encode(), context: context))])
    }
}

/// OCPP 2.1 DataTransfer from the station.
struct DataTransferHandler21: OCPPHandler {
    typealias Action = OCPP21.DataTransferAction

    func handle(
        _ request: OCPP21.DataTransferRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.DataTransferResponse> {
        let answer = try await context.services.dataTransferVendors.answer(
            vendorId: request.vendorId, messageId: request.messageId, data: request.data, context: context)
        return HandlerResult(
            response: OCPP21.DataTransferResponse(
                status: .init(rawValue: answer.status.rawValue) ?? .rejected, data: answer.data),
            writes: [.addStationReport(StationReportHandler<Action>.report(request.encode(), context: context))])
    }
}
