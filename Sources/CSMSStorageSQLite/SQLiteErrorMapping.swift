import CSMSCore
import GRDB

extension StoreError {
    /// The store error for anything thrown by GRDB or by the store's own code (docs/storage.md,
    /// "Errors"):
    ///
    /// - SQLITE_FULL, IOERR, BUSY, LOCKED, READONLY, CANTOPEN, PROTOCOL, NOTADB and CORRUPT:
    ///   `.unavailable` (the database cannot be reached or written now);
    /// - SQLITE_CONSTRAINT (unique, foreign key, not null, check): `.conflict`;
    /// - anything else, cancellation included: `.internalError`.
    ///
    /// The message holds SQLite's own text (never SQL arguments, so no payloads or secrets).
    init(sqlite error: any Error) {
        if let error = error as? StoreError {
            self = error
            return
        }
        if error is CancellationError {
            self.init(.internalError, "cancelled")
            return
        }
        guard let error = error as? DatabaseError else {
            self.init(.internalError, "unexpected error: \(type(of: error))")
            return
        }
        let code = error.resultCode
        let text = "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "no message")"
        switch code {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_CANTOPEN,
            .SQLITE_PROTOCOL, .SQLITE_NOTADB, .SQLITE_CORRUPT:
            self.init(.unavailable, text)
        case .SQLITE_CONSTRAINT:
            self.init(.conflict, text)
        default:
            self.init(.internalError, text)
        }
    }
}

/// Runs `body`, mapping whatever it throws with `StoreError(sqlite:)`.
func mappingErrors<T>(_ body: () async throws -> T) async throws(StoreError) -> T {
    do {
        return try await body()
    } catch {
        throw StoreError(sqlite: error)
    }
}
