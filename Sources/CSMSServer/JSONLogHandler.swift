public import Foundation
public import Logging
import OCPP
import Synchronization

/// A swift-log handler that writes one JSON object per line:
///
/// ```json
/// {"time":"2026-11-27T08:15:00.123Z","level":"info","message":"station connected","logger":"csms",
///  "metadata":{"ocpp.charge_point_id":"CP-1","ocpp.version":"1.6"}}
/// ```
///
/// `time` is UTC with milliseconds; `metadata` holds the logger's, the provider's and the
/// call's metadata (the call's wins), nested values as JSON objects and arrays; `error` is the
/// event's error, when it has one. Keys are the ones in `LogKey` (docs/operations.md).
/// Nothing here filters secrets: callers never put them in messages or metadata.
public struct JSONLogHandler: LogHandler {
    /// Where finished lines go (without the trailing newline).
    public typealias LineWriter = @Sendable (String) -> Void

    private let label: String
    private let write: LineWriter
    private let clock: @Sendable () -> Date

    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// Supplies task-local metadata, added to every line.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for logger `label` that hands each line to `write` (default: standard
    /// output, one `write` per line under a lock so lines never interleave).
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping LineWriter = JSONLogHandler.standardOutput,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
        self.clock = clock
    }

    /// Reads or sets one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }

        var line = JSONObject()
        line["time"] = .string(OCPPDateTime(clock()).text)
        line["level"] = .string(event.level.rawValue)
        line["message"] = .string(event.message.description)
        line["logger"] = .string(label)
        if !merged.isEmpty { line["metadata"] = Self.json(merged) }
        if let error = event.error { line["error"] = .string(String(describing: error)) }
        write(JSONValue.object(line).jsonText)
    }

    /// Metadata as a JSON object with its keys sorted (stable lines, easy to diff).
    static func json(_ metadata: Logger.Metadata) -> JSONValue {
        var object = JSONObject()
        for key in metadata.keys.sorted() { object.appendUnchecked(key, json(metadata[key]!)) }
        return .object(object)
    }

    static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let item): .string(item.description)
        case .dictionary(let nested): json(nested)
        case .array(let items): .array(items.map { json($0) })
        }
    }

    /// Writes `line` and a newline to standard output, one line at a time.
    public static let standardOutput: LineWriter = { line in
        outputLock.withLock { _ in
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    private static let outputLock = Mutex(())
}
