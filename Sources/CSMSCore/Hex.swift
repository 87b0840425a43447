extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits each (digests, certificate serials).
    ///
    /// Inlinable, so that it is specialized for the caller's sequence: the generic form
    /// iterated a digest through protocol witnesses, a byte at a time (about 1 % of the
    /// server's CPU in the StatusNotification benchmark, for the idempotency digest).
    @inlinable
    public var lowercaseHex: String {
        if let hex = withContiguousStorageIfAvailable({ bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = lowercaseHexDigit(byte >> 4)
                    out[2 * index + 1] = lowercaseHexDigit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }) {
            return hex
        }
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(lowercaseHexDigit(byte >> 4))
            out.append(lowercaseHexDigit(byte & 0x0F))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The lowercase hexadecimal digit of `nibble` (0...15).
@inlinable
func lowercaseHexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
