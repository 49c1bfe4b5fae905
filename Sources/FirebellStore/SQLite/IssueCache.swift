import FirebellCore
import Synchronization

/// The issues this connection last committed, by project and fingerprint, so an
/// ingest batch reads from the database only the issues it has not seen lately:
/// reading and decoding an issue row was a seventh of the writer's time per event.
///
/// Issues go in as a transaction writes them, and a transaction that rolls back
/// empties the cache (`SQLiteStore`), so no state that never committed stays.
/// Another process writing the same file (`firebell issues resolve`) is
/// noticed through `PRAGMA data_version`, which changes with every commit of any
/// other connection: the writer checks it inside its transaction, where nobody
/// else can commit, and starts empty when it moved.
///
/// Bounded in two generations: entries go into the young one, a hit in the old one
/// moves it back, and when the young one holds half the capacity the old one is
/// dropped and the young one ages. Issues that keep coming stay; at most `capacity`
/// are held. (Evicting single entries from a `Dictionary` by `startIndex` made every
/// eviction scan the emptied buckets: the fill of `make bench`'s 100 k issues ran at
/// half speed.)
final class IssueCache: Sendable {
    struct Key: Hashable {
        var projectID: Int
        var fingerprint: String
    }

    private struct State {
        var young: [Key: Issue] = [:]
        var old: [Key: Issue] = [:]
        /// `PRAGMA data_version` when the entries were known to be current.
        var dataVersion: Int?

        mutating func put(_ issue: Issue, for key: Key, generation: Int) {
            young[key] = issue
            if young.count >= generation {
                old = young
                young = Dictionary(minimumCapacity: generation)
            }
        }

        mutating func clear() {
            young.removeAll(keepingCapacity: true)
            old.removeAll()
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// Entries per generation.
    private var generation: Int { max(capacity / 2, 1) }

    var count: Int { state.withLock { $0.young.count + $0.old.count } }

    func issue(_ key: Key) -> Issue? {
        state.withLock { state in
            if let issue = state.young[key] { return issue }
            guard let issue = state.old.removeValue(forKey: key) else { return nil }
            state.put(issue, for: key, generation: generation)
            return issue
        }
    }

    /// Empties the cache when `dataVersion` is not the one its entries were read under.
    func validate(dataVersion: Int) {
        state.withLock { state in
            if state.dataVersion != dataVersion {
                state.clear()
                state.dataVersion = dataVersion
            }
        }
    }

    /// Records issues as committed by this connection.
    func store(_ issues: some Sequence<Issue>) {
        guard capacity > 0 else { return }
        state.withLock { state in
            for issue in issues {
                let key = Key(projectID: issue.projectID, fingerprint: issue.fingerprint)
                state.old.removeValue(forKey: key)
                state.put(issue, for: key, generation: generation)
            }
        }
    }

    /// Forgets everything: a commit whose effect on the issues is not known.
    func removeAll() {
        state.withLock { state in
            state.clear()
            state.dataVersion = nil
        }
    }
}
