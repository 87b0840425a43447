extension SettingKey {
    /// The command line with every setting's flag turned into the generic assignment:
    /// `--rate-limit-rate 5` and `--rate-limit-rate=5` become `--set rateLimit.rate=5`
    /// (docs/configuration.md), so that every key has a working flag, also the many without
    /// an option of their own in `csms serve --help`.
    ///
    /// Named options that are settings go the same way: their values are then checked once,
    /// by `ServerConfiguration(reader:)`, with the same messages as the environment's and the
    /// file's. Arguments after `--`, other options, and a setting's flag without a value (at
    /// the end, or followed by another `--option`) are left as they are.
    public static func expandingFlags(_ arguments: [String]) -> [String] {
        let byFlag = Dictionary(uniqueKeysWithValues: all.map { ($0.flag, $0) })
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result += arguments[(index - 1)...]
                break
            }
            guard argument.hasPrefix("--") else {
                result.append(argument)
                continue
            }
            if let equals = argument.firstIndex(of: "="), let key = byFlag[String(argument[..<equals])] {
                result += ["--set", key.name + "=" + argument[argument.index(after: equals)...]]
            } else if let key = byFlag[argument], index < arguments.endIndex, !arguments[index].hasPrefix("--") {
                result += ["--set", key.name + "=" + arguments[index]]
                index += 1
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
