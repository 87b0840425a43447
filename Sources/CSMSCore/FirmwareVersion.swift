/// A firmware version as stations report it, ordered the way operators mean it
/// (docs/security.md, "Boot validation policies").
///
/// Parsing, from the left:
/// 1. Everything before the first digit is a vendor prefix and is ignored (`v1.2.3`,
///    `FW-1.2.3`, `R 1.2` → `1.2.3`, `1.2.3`, `1.2`).
/// 2. The numeric core is the longest run of digits and dots that follows; its dot-separated
///    parts are numbers (`1.10.0` has parts 1, 10, 0). Empty parts (`1..2`) count as 0.
/// 3. What follows a `+` is build metadata and is ignored (`1.2.3+build.7` = `1.2.3`).
/// 4. Anything else after the core (`-rc1`, `_beta`, `b`) is a pre-release tag; one leading
///    `-`, `_` or `.` is dropped.
///
/// Ordering:
/// - numeric cores part by part, as numbers; missing parts are 0 (`1.2` = `1.2.0`,
///   `1.10.0 > 1.9.3`);
/// - with equal cores, a version with a pre-release tag is lower than one without
///   (`1.2.3-rc1 < 1.2.3`, as semantic versioning 2.0.0 §11);
/// - two tags are compared in dot-separated identifiers: numeric ones as numbers, others as
///   case-insensitive text, a numeric identifier lower than a textual one, and a shorter list
///   lower when it is a prefix of the other (`rc.2 < rc.10`, `alpha < beta`).
///
/// A text without any digit has no version (`init` returns `nil`).
public struct FirmwareVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The numeric parts of the core, trailing zeros removed (so `1.2` equals `1.2.0`).
    public let numbers: [UInt64]
    /// The pre-release identifiers (empty for a release), lower-cased.
    public let preRelease: [String]
    /// The text it was parsed from.
    public let text: String

    /// Parses `text`; `nil` when it holds no digit.
    public init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        guard let start = scalars.firstIndex(where: Self.isDigit) else { return nil }
        var index = start
        while index < scalars.count, Self.isDigit(scalars[index]) || scalars[index] == "." { index += 1 }
        var core = String(String.UnicodeScalarView(scalars[start..<index]))
        var rest = String(String.UnicodeScalarView(scalars[index...]))
        // A trailing dot belongs to the separator of a tag (`1.2.rc1`), not to the core.
        while core.hasSuffix(".") {
            core.removeLast()
            rest = "." + rest
        }
        if let plus = rest.firstIndex(of: "+") { rest = String(rest[..<plus]) }
        if let first = rest.first, first == "-" || first == "_" || first == "." { rest.removeFirst() }
        var numbers = core.split(separator: ".", omittingEmptySubsequences: false).map {
            UInt64($0.prefix(18)) ?? 0
        }
        while numbers.count > 1, numbers.last == 0 { numbers.removeLast() }
        if numbers == [0] { numbers = [] }
        self.numbers = numbers
        self.preRelease = rest.isEmpty ? [] : rest.lowercased().split(separator: ".").map(String.init)
        self.text = text
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }

    /// The version text as reported.
    public var description: String { text }

    /// Equal when cores and tags are equal (the prefix and build metadata do not count).
    public static func == (a: FirmwareVersion, b: FirmwareVersion) -> Bool {
        a.numbers == b.numbers && a.preRelease == b.preRelease
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(numbers)
        hasher.combine(preRelease)
    }

    /// The order described on the type.
    public static func < (a: FirmwareVersion, b: FirmwareVersion) -> Bool {
        for i in 0..<max(a.numbers.count, b.numbers.count) {
            let x = i < a.numbers.count ? a.numbers[i] : 0
            let y = i < b.numbers.count ? b.numbers[i] : 0
            if x != y { return x < y }
        }
        switch (a.preRelease.isEmpty, b.preRelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (x, y) in zip(a.preRelease, b.preRelease) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case (let m?, let n?): if m != n { return m < n }
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return a.preRelease.count < b.preRelease.count
    }
}
