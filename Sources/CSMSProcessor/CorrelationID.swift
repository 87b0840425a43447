import CSMSCore
import Synchronization

/// Fresh correlation ids without a system call per CALL: a random 64-bit prefix chosen once
/// per process and a counter, as `PPPPPPPPPPPPPPPP-CCCCCCCCCCCC` (lowercase hex). Unique within
/// the process by the counter, and across restarts and nodes by the random prefix (`UUID()`
/// read /dev/urandom on every CALL, about 2 % of the processor's CPU under load).
enum CorrelationID {
    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return withUnsafeBytes(of: generator.next() as UInt64) { $0.lowercaseHex }
    }()
    private static let counter = Atomic<UInt64>(0)

    /// The next id.
    static func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let digits = String(n & 0xFFFF_FFFF_FFFF, radix: 16)
        return prefix + "-" + String(repeating: "0", count: 12 - digits.count) + digits
    }
}
