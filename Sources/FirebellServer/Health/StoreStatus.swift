import Foundation
import Synchronization

/// What the daemon last learned about its store, kept so `/readyz` answers from memory
/// instead of queueing a query behind ingest on the one SQLite connection. Fed by the
/// writer (each commit, each failed batch) and by `StoreProbe` (a ping every second,
/// off the request path).
final class StoreStatus: Sendable {
    private struct State {
        /// The newest thing learned: a success (commit or ping) or a failure with its reason.
        var healthy = true
        var problem: String?
        var at: Date?
    }

    private let state = Mutex(State())

    /// A commit or a ping succeeded.
    func succeeded(at now: Date) {
        state.withLock { state in
            guard state.at.map({ now >= $0 }) ?? true else { return }
            state = State(healthy: true, problem: nil, at: now)
        }
    }

    /// A write or a ping failed.
    func failed(_ problem: String, at now: Date) {
        state.withLock { state in
            guard state.at.map({ now >= $0 }) ?? true else { return }
            state = State(healthy: false, problem: problem, at: now)
        }
    }

    /// nil when ready; else why not. Ready until something failed: the store opened at start.
    var problem: String? {
        state.withLock { $0.healthy ? nil : ($0.problem ?? "store unreachable") }
    }
}
