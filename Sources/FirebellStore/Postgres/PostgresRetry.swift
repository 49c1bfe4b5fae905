import Foundation
import Logging
import PostgresNIO

/// Which failures of a transaction mean "another node got there first; run it again"
/// rather than "this cannot be done": a serialization failure, a deadlock the server
/// broke, a unique key another node's commit took meanwhile, or a new issue that
/// another node inserted first (`LostRace`). Run again, the transaction reads what
/// the other committed and decides on that: the client gets its answer, never a 500.
enum PostgresRetry {
    /// A batch found a row missing, but another node inserted it before the batch could.
    struct LostRace: Error, CustomStringConvertible {
        var what: String
        var description: String { "another node inserted \(what) first" }
    }

    /// Tries at most this often; the last failure is thrown.
    static let attempts = 20

    static func isRetryable(_ error: any Error) -> Bool {
        if error is LostRace { return true }
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        // serialization_failure, deadlock_detected, unique_violation
        return ["40001", "40P01", "23505"].contains(state)
    }

    /// Runs `body` until it succeeds, or fails in a way a retry cannot fix, or `attempts` ran out.
    static func run<T>(logger: Logger, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where attempt < attempts && isRetryable(error) {
                logger.debug("store transaction lost a race; retrying", metadata: ["store.attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                attempt += 1
                // A little jitter so two nodes that collided do not collide again in step.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            }
        }
    }
}
