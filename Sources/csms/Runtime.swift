import CSMSCore
import CSMSProcessor
import CSMSServer
import CSMSStorageSQLite
import Logging
import OCPP

/// How `csms` builds the parts the server runs on from the configuration: the store and the
/// message processor.
enum Runtime {
    /// Opens (and migrates) the database; SQLite creates the file and its folder.
    static func openStore(_ location: DatabaseLocation) throws(Failure) -> any CSMSStore {
        do {
            switch location {
            case .sqlite(let path) where path == DatabaseLocation.inMemoryPath:
                return try SQLiteStore.inMemory()
            case .sqlite(let path):
                return try SQLiteStore(path: path)
            }
        } catch {
            throw .store("cannot open \(location): \(error.message)")
        }
    }

    /// The name of the processor `processor(…)` builds, logged at start (`processor`).
    static let processorName = InterimProcessor.name

    /// The message processor for the server.
    ///
    /// Interim: the message processor (`CSMSProcessor.MessageProcessor`) is not on main yet;
    /// until it is, `InterimProcessor` answers frames at the RPC level only. Replace this body
    /// with the real processor when it lands (the e2e test skips its OCPP flows while
    /// BootNotification is answered `NotImplemented`).
    static func processor(
        store: any CSMSStore, configuration: ServerConfiguration, logger: Logger
    ) -> any InboundMessageHandling {
        InterimProcessor()
    }
}

/// Interim stand-in for the message processor, used by `csms serve` only until
/// `MessageProcessor` is on main: frames that cannot be decoded get the answer their version
/// prescribes (docs/protocol.md), every CALL gets CALLERROR `NotImplemented`, replies go to
/// the outbound-call tracker, SENDs are dropped. It stores nothing.
struct InterimProcessor: InboundMessageHandling {
    /// The name logged at start.
    static let name = "interim (message processor not wired in yet)"

    func handle(_ frame: [UInt8], session: StationSession) async -> InboundResult {
        do {
            switch try RPCFrame.decode(frame, version: session.version) {
            case .call(let call):
                let error = RPCCallError(
                    messageId: call.messageId, code: .notImplemented,
                    description: "message processing is not available in this build")
                return .reply(RPCFrame.callError(error).encoded())
            case .send:
                return .none
            case let reply:
                return .outboundReply(reply)
            }
        } catch {
            switch error.response {
            case .callError(let answer): return .reply(RPCFrame.callError(answer).encoded())
            case .ignore: return .none
            }
        }
    }
}
