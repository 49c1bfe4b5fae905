import Foundation
import Synchronization

/// What the daemon last learned about its store, kept so `/readyz` answers from memory
/// instead of queueing a query behind ingest on the one SQLite connection. Fed by the
/// writer (each commit, each failed batch) and by `StoreProbe` (a ping and a look at
/// the disk every second, off the request path).
final class StoreStatus: Sendable {
    private struct State {
        /// The newest thing learned: a success (commit or ping) or a failure with its reason.
        var healthy = true
        var problem: String?
        var at: Date?
        /// Set while the disk is below `storage.min_free`: only the probe's next look clears it.
        var lowSpace: String?
    }

    private let state = Mutex(State())

    /// A commit or a ping succeeded. True when that ends a failure (worth one log line).
    @discardableResult
    func succeeded(at now: Date) -> Bool {
        state.withLock { state in
            guard state.at.map({ now >= $0 }) ?? true else { return false }
            let recovered = !state.healthy
            state.healthy = true
            state.problem = nil
            state.at = now
            return recovered
        }
    }

    /// A write or a ping failed. True when that is news: the store was healthy, or failed
    /// for another reason (worth one log line, not one per request).
    @discardableResult
    func failed(_ problem: String, at now: Date) -> Bool {
        state.withLock { state in
            guard state.at.map({ now >= $0 }) ?? true else { return false }
            let news = state.healthy || state.problem != problem
            state.healthy = false
            state.problem = problem
            state.at = now
            return news
        }
    }

    /// The disk is below the floor (`problem`) or no longer (nil). True when that changed.
    @discardableResult
    func lowSpace(_ problem: String?) -> Bool {
        state.withLock { state in
            defer { state.lowSpace = problem }
            return (state.lowSpace == nil) != (problem == nil)
        }
    }

    /// Why ingest is refused before it is tried: the disk is below `storage.min_free`.
    var refusal: String? { state.withLock { $0.lowSpace } }

    /// A write or a ping failed last (not the disk's space): the probe checks that a write
    /// would pass again, since a read may pass while writes still fail.
    var isFailing: Bool { state.withLock { !$0.healthy } }

    /// nil when ready; else why not. Ready until something failed: the store opened at start.
    var problem: String? {
        state.withLock { $0.lowSpace ?? ($0.healthy ? nil : ($0.problem ?? "store unreachable")) }
    }
}
