import CSMSCore
import Testing

@Suite("Duration conversions")
struct DurationConversionTests {
    @Test("fractions are kept as a TimeInterval and truncated toward zero in whole units")
    func units() {
        let d = Duration.milliseconds(1_500) + .nanoseconds(999)
        #expect(d.timeInterval == 1.500000999)
        #expect(d.wholeSeconds == 1)
        #expect(d.wholeMilliseconds == 1_500)
        #expect(d.wholeMicroseconds == 1_500_000)
        #expect(d.wholeNanoseconds == 1_500_000_999)
        #expect(Duration.microseconds(250).wholeMilliseconds == 0)
    }

    @Test("negative durations truncate toward zero; whole seconds never go below 0")
    func negative() {
        let d = Duration.milliseconds(-1_500) - .nanoseconds(1)
        #expect(d.timeInterval == -1.500000001)
        #expect(d.wholeMilliseconds == -1_500)
        #expect(d.wholeNanoseconds == -1_500_000_001)
        #expect(d.wholeSeconds == 0)
    }

    @Test("a duration beyond Int's range clamps instead of trapping")
    func clamps() {
        let long = Duration.seconds(Int64.max / 1_000)
        #expect(long.wholeMilliseconds == Int(Int64.max / 1_000) * 1_000)
        #expect(long.wholeMicroseconds == .max)
        #expect(long.wholeNanoseconds == .max)
        #expect((.zero - long).wholeNanoseconds == .min)
        #expect(Int32(clamping: long.wholeMilliseconds) == .max)
    }
}
