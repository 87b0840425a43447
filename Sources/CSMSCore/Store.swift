public import Foundation

/// An operator's change to a charge point's registration (API `PUT /api/v1/charge-points/{id}`,
/// CLI `csms charge-points add`).
public struct ChargePointUpdate: Sendable, Equatable {
    /// The station.
    public var id: ChargePointID
    /// New password hash; `nil` leaves it unchanged.
    public var passwordHash: String?
    /// New registration setting; `nil` leaves it unchanged.
    public var registrationStatus: RegistrationStatus?
    /// When the change is made.
    public var at: Date

    /// An update; fields left `nil` are not changed.
    public init(id: ChargePointID, passwordHash: String? = nil, registrationStatus: RegistrationStatus? = nil, at: Date)
    {
        self.id = id
        self.passwordHash = passwordHash
        self.registrationStatus = registrationStatus
        self.at = at
    }
}

/// One state change. A handler returns a list of these with its answer; the store commits
/// the list (together with the stored answer) atomically before the answer is sent
/// (invariant 1). Later features add cases here rather than new write paths.
public enum StoreWrite: Sendable, Equatable {
    /// Creates the charge point if missing, then applies the update.
    case upsertChargePoint(ChargePointUpdate)
    /// Records a BootNotification and the answer given: sets `boot`, `bootStatus`,
    /// `lastBootAt`, `lastSeen` and `protocolVersion`. Creates the charge point when
    /// `register` is true and it is missing (auto-registration); otherwise a missing
    /// charge point is left absent.
    case recordBoot(
        id: ChargePointID, info: BootInfo, status: RegistrationStatus, protocolVersion: String, at: Date,
        register: Bool)
    /// Records that the station was heard from (Heartbeat): sets `lastSeen`. A missing
    /// charge point is left absent (no error).
    case recordSeen(id: ChargePointID, at: Date)
    /// Appends the status to the history, and makes it the connector's current status unless
    /// the stored current status has a later `timestamp` (an out-of-order notification
    /// updates only the history). 1.6 connectors (`evseId` nil) and 2.x connectors are
    /// separate. Fails the commit with `.conflict` when the charge point is not registered.
    case recordConnectorStatus(ConnectorStatus)
    /// Stores the answer to a CALL for idempotent retries (replaces one with the same
    /// charge point and message id). The charge point need not be registered.
    case storeResponse(StoredResponse)
    /// Adds a dead letter (its `id` is assigned by the store, increasing; a given `id` is
    /// ignored). The charge point need not be registered.
    case addDeadLetter(DeadLetter)
    /// Counts one more failed processing attempt on dead letter `id` and replaces its error
    /// text (a replay that failed again). A missing letter is left absent (no error).
    case recordDeadLetterAttempt(id: Int64, error: String)
    /// Removes dead letter `id` (replayed successfully, or deleted by an operator). A missing
    /// letter is left absent (no error).
    case deleteDeadLetter(id: Int64)
    /// Stores an operator command record: creates it, or replaces the stored one unless that
    /// has a higher `CommandState.rank` (a record only moves forward). No charge point needed.
    case saveCommand(CommandRecord)
    /// Adds a station report (its `id` is assigned by the store, increasing).
    case addStationReport(StationReport)
    /// Sets cached configuration values, replacing those of the same station and key.
    case saveConfigurationValues([ConfigurationValue])
    /// A transaction event or meter values, applied with `TransactionLedger` (docs/transactions.md).
    case transaction(TransactionWrite)
    /// Stores the id token registry entry (replacing one with the same token, whose
    /// `createdAt` is kept).
    case upsertIdToken(IdTokenRecord)
    /// Removes the id token registry entry, if any.
    case deleteIdToken(String)
    /// Replaces the station's local authorization list state (version and entries). Fails the
    /// commit with `.conflict` when the charge point is not registered.
    case recordLocalList(LocalListState)
    /// Sets the station's own security profile (0-3), or clears it with `nil` (the
    /// configured profile applies). The charge point need not be registered.
    case setSecurityProfile(id: ChargePointID, profile: Int?, at: Date)
    /// Adds a security event (its `id` is assigned by the store, increasing).
    case addSecurityEvent(SecurityEvent)
    /// Records a station certificate (replaces one with the same station and serial).
    case recordStationCertificate(StationCertificate)
    /// Creates or replaces the API token with the record's name.
    case putAPIToken(APITokenRecord)
    /// Deletes the API token with this name (no error when absent).
    case deleteAPIToken(name: String)
    /// Appends a connected/offline transition to the availability history (id assigned by the store).
    case recordAvailability(AvailabilityEvent)
    /// Binds the station to a serial number (replaces an existing binding; BootNotification
    /// serial binding). The charge point need not be registered.
    case bindSerialNumber(SerialBinding)
    /// Removes the station's serial binding (no error when absent); the next accepted boot binds again.
    case clearSerialBinding(id: ChargePointID)
    /// `storeResponse`, guarded: when the station's message id already has a stored answer
    /// with the same request digest, stored at or after `notBefore`, the whole commit fails
    /// with `.alreadyAnswered` and nothing of it is applied (the retried message's writes are
    /// dropped; the caller answers with the stored bytes). Otherwise it stores the answer like
    /// `storeResponse`. This is the idempotency check done inside the commit, for handlers
    /// whose only effect is their writes (docs/processor.md, "Idempotency").
    case storeResponseUnlessAnswered(StoredResponse, notBefore: Date)
}

/// A storage failure, with a code the server maps to OCPP errors and HTTP statuses in one place.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The code text.
        public let rawValue: String
        /// A code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The database cannot be reached or written (disk full, locked, connection lost).
        public static let unavailable = Code(rawValue: "unavailable")
        /// A constraint was violated.
        public static let conflict = Code(rawValue: "conflict")
        /// Anything else.
        public static let internalError = Code(rawValue: "internal")
        /// A `storeResponseUnlessAnswered` write found the message already answered: nothing
        /// of the commit was applied.
        public static let alreadyAnswered = Code(rawValue: "already_answered")
    }

    /// The kind of failure.
    public let code: Code
    /// What happened (no secrets, no payloads).
    public let message: String

    /// A store error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Code and message.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// The persistence the CSMS runs on. One conformance suite (in `CSMSTesting`) runs against
/// every implementation (in-memory, SQLite, PostgreSQL).
///
/// `commit` is durable when it returns: with SQLite in `synchronous=FULL` the transaction is
/// on disk. Implementations may batch concurrent commits into one transaction (group commit)
/// but each caller's writes are applied in order and atomically, and a commit that fails
/// because of its own writes never fails another caller's.
///
/// Common rules (docs/storage.md): dates are kept to the millisecond (rounded to the
/// nearest); every applied `upsertChargePoint`, `recordBoot`, `recordSeen`, and
/// `recordConnectorStatus` that changes the current status adds one to the charge point's
/// `stateVersion` and sets its `updatedAt` to the write's time; a `limit` of zero or less
/// lists nothing.
public protocol CSMSStore: Sendable, MessageLogStore, CommandStoreReading, TransactionStoreReading,
    IdTokenStoreReading, SecurityStoreReading, RemoteStartStoreReading, AvailabilityStoreReading,
    SerialBindingStoreReading
{
    /// Applies `writes` atomically and durably, in order.
    func commit(_ writes: [StoreWrite]) async throws(StoreError)

    /// The charge point, if registered.
    func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint?

    /// Charge points ordered by id, starting after `after`, at most `limit`.
    func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint]

    /// The current status of each connector of the station, ordered by EVSE (1.6
    /// connectors, `evseId` nil, first) then connector.
    func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus]

    /// The status history of the station, newest received first (ties: stored last first),
    /// at most `limit`.
    func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus]

    /// The stored answer to message `messageId` of the station, if any.
    func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError) -> StoredResponse?

    /// Deletes stored answers whose `storedAt` is before `date`; returns how many were
    /// deleted.
    func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int

    /// Dead letters, optionally of one station, ordered by id, after `after`, at most `limit`.
    func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError) -> [DeadLetter]

    /// The dead letter with `id`, if it exists.
    func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter?

    /// Whether the database answers a trivial query now (readiness).
    func isReachable() async -> Bool
}

/// The source of wall-clock time, injected so tests control it.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system clock.
public struct SystemWallClock: WallClock {
    /// The system clock.
    public init() {}
    /// `Date()`.
    public func now() -> Date { Date() }
}
