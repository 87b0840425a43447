import ServiceLifecycle

/// Checks the command engine's CALL deadlines every `tick` and times out the overdue ones
/// (their slot goes to the next queued command). Stops at graceful shutdown, after the
/// station connections were drained (it is the first service of the server's group).
struct CommandTimeoutService: Service, CustomStringConvertible {
    var description: String { "CommandTimeoutService" }

    let engine: CommandEngine
    /// How often deadlines are checked: the precision of a timeout.
    let tick: Duration

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: tick)
                } catch {
                    return
                }
                await engine.expireTimeouts()
            }
        }
    }
}
