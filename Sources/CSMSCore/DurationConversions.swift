/// `Duration` in the units that the APIs around it take: Foundation's `TimeInterval`, SQLite's
/// and POSIX's whole milliseconds, Dispatch's nanoseconds, OCPP's whole seconds.
extension Duration {
    /// The duration in seconds, with its fraction (Foundation's `TimeInterval`).
    public var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// Whole seconds, rounded down, clamped to `0...Int.max` (OCPP `interval` fields).
    public var wholeSeconds: Int { max(0, Int(components.seconds)) }

    /// Whole milliseconds, rounded toward zero, clamped to `Int`'s range.
    public var wholeMilliseconds: Int { whole(perSecond: 1_000) }

    /// Whole microseconds, rounded toward zero, clamped to `Int`'s range.
    public var wholeMicroseconds: Int { whole(perSecond: 1_000_000) }

    /// Whole nanoseconds, rounded toward zero, clamped to `Int`'s range.
    public var wholeNanoseconds: Int { whole(perSecond: 1_000_000_000) }

    /// `components` (whose two parts have the same sign) in units of `1 / perSecond` s.
    private func whole(perSecond: Int64) -> Int {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: perSecond)
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / perSecond))
        guard !overflow, !sumOverflow else { return seconds < 0 ? .min : .max }
        return Int(sum)
    }
}
