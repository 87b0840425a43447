/// The sessions scenario's correctness check: what the server stored against what the
/// stations sent.
public enum SessionCheck {
    /// Compares what the API stored (`"chargePoint|transaction"` -> statuses) with the
    /// sessions the stations started and completed (same keys): completed sessions must be
    /// stored once and Completed; nothing else may be stored.
    public static func compare(stored: [String: [String]], started: [String], completed: [String], name: String)
        -> CheckResult
    {
        let completedSet = Set(completed)
        let startedSet = Set(started)
        let lost = completedSet.filter { (stored[$0] ?? []).isEmpty }
        let notCompleted = completedSet.filter { key in stored[key].map { !$0.contains("Completed") } ?? false }
        let doubled = stored.filter { $0.value.count > 1 }
        let unknown = stored.keys.filter { !startedSet.contains($0) }
        var problems: [String] = []
        if !lost.isEmpty { problems.append("\(lost.count) completed sessions missing (e.g. \(lost.first!))") }
        if !notCompleted.isEmpty { problems.append("\(notCompleted.count) stored but not Completed") }
        if !doubled.isEmpty { problems.append("\(doubled.count) stored more than once") }
        if !unknown.isEmpty { problems.append("\(unknown.count) stored that no station started") }
        let summary =
            "\(completedSet.count) sessions completed by the stations, \(startedSet.count) started, "
            + "\(stored.count) stored for this run"
        return problems.isEmpty
            ? CheckResult(name: name, status: .passed, detail: summary)
            : CheckResult(name: name, status: .failed, detail: summary + ": " + problems.joined(separator: "; "))
    }
}
