public import CSMSCore
public import Foundation
import OCPP
import Synchronization

/// The local, append-only file that keeps transaction messages the database could not take
/// (docs/reliability.md): each line is one JSON object with the station, the session's
/// subprotocol, the receive time and the raw frame. A line is written and `fsync`ed before the
/// station gets its answer, so an acknowledged transaction message survives a database outage
/// and a crash; `SpillReplayer` moves the lines into the database once it is back.
public final class SpillFile: Sendable {
    /// One kept message.
    public struct Entry: Sendable, Equatable {
        /// The station.
        public var chargePointId: ChargePointID
        /// The subprotocol of the session it came on.
        public var protocolVersion: String
        /// When it was received.
        public var receivedAt: Date
        /// The frame as received.
        public var rawFrame: String

        /// An entry.
        public init(chargePointId: ChargePointID, protocolVersion: String, receivedAt: Date, rawFrame: String) {
            self.chargePointId = chargePointId
            self.protocolVersion = protocolVersion
            self.receivedAt = receivedAt
            self.rawFrame = rawFrame
        }
    }

    /// A failure to write or read the file.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// The file's path.
    public let path: String
    private let lock = Mutex(())

    /// The spill file at `path` (created with its folder on the first write).
    public init(path: String) { self.path = path }

    /// Appends `entry` and forces it to disk before returning.
    public func append(_ entry: Entry) throws(Failure) {
        var line = Self.encode(entry).serialized()
        line.append(UInt8(ascii: "\n"))
        try lock.withLock { _ throws(Failure) in
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                if !FileManager.default.fileExists(atPath: path) {
                    guard FileManager.default.createFile(atPath: path, contents: nil) else {
                        throw Failure(description: "cannot create \(path)")
                    }
                }
                let handle = try FileHandle(forWritingTo: url)
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: line)
                try handle.synchronize()
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(description: "cannot append to \(path): \(error)")
            }
        }
    }

    /// Whether the file holds entries.
    public var isEmpty: Bool {
        lock.withLock { _ in
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 0
        }
    }

    /// Runs `body` on every entry in order while no new entry can be appended, then empties
    /// the file if `body` returned `true` for all of them (a crash in between leaves the file
    /// as it was: replaying it again is harmless, the processor's idempotency rules apply).
    /// Lines that are not valid entries are passed to `corrupt` and dropped with the rest.
    public func drain(
        _ body: (Entry) async -> Bool, corrupt: (String) -> Void = { _ in }
    ) async throws(Failure) -> Int {
        // Lines are read once; entries appended during the drain go into the same file and
        // stay for the next drain (the truncation keeps everything after the read offset).
        let data: Data
        do {
            data = try lock.withLock { _ in try Data(contentsOf: URL(fileURLWithPath: path)) }
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return 0 }
            throw Failure(description: "cannot read \(path): \(error)")
        }
        var count = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let entry = Self.decode(Array(line)) else {
                corrupt(String(decoding: line, as: UTF8.self))
                continue
            }
            guard await body(entry) else { return count }
            count += 1
        }
        try lock.withLock { _ throws(Failure) in
            do {
                let current = try Data(contentsOf: URL(fileURLWithPath: path))
                let rest = current.count > data.count ? current[data.count...] : Data()
                try Data(rest).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw Failure(description: "cannot truncate \(path): \(error)")
            }
        }
        return count
    }

    static func encode(_ entry: Entry) -> JSONValue {
        [
            "chargePointId": .string(entry.chargePointId.rawValue), "protocolVersion": .string(entry.protocolVersion),
            "receivedAt": .string(OCPPDateTime(entry.receivedAt).text), "rawFrame": .string(entry.rawFrame),
        ]
    }

    static func decode(_ bytes: [UInt8]) -> Entry? {
        guard let value = try? JSONValue(parsing: bytes), case .object(let object) = value,
            case .string(let id)? = object["chargePointId"], let chargePointId = ChargePointID(id),
            case .string(let version)? = object["protocolVersion"],
            case .string(let time)? = object["receivedAt"], let receivedAt = OCPPDateTime(rfc3339: time),
            case .string(let frame)? = object["rawFrame"]
        else { return nil }
        return Entry(
            chargePointId: chargePointId, protocolVersion: version, receivedAt: receivedAt.date, rawFrame: frame)
    }
}
