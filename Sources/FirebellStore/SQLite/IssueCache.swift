import FirebellCore
import Synchronization

/// The issues this connection last committed (with their windows), by project and
/// fingerprint, so an ingest batch reads from the database only the issues it has
/// not seen lately: reading and decoding an issue row was a seventh of the writer's
/// time per event.
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
///
/// Records are held boxed: a `Dictionary` allocates its buckets up front, and with
/// the record inline (some 260 bytes) the two generations' 32 k buckets held 9.4 MB
/// however few were in use; boxed, a bucket is a key and a pointer, and only the
/// entries there are take record-sized memory.
final class IssueCache: Sendable {
    typealias Key = IssueKey

    private final class Entry {
        var record: IssueRecord
        init(_ record: IssueRecord) { self.record = record }
    }

    private struct State {
        var young: [Key: Entry] = [:]
        var old: [Key: Entry] = [:]
        /// `PRAGMA data_version` when the entries were known to be current.
        var dataVersion: Int?

        mutating func put(_ entry: Entry, for key: Key, generation: Int) {
            young[key] = entry
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

    func record(_ key: Key) -> IssueRecord? {
        state.withLock { state in
            if let entry = state.young[key] { return entry.record }
            guard let entry = state.old.removeValue(forKey: key) else { return nil }
            state.put(entry, for: key, generation: generation)
            return entry.record
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
    func store(_ records: some Sequence<IssueRecord>) {
        guard capacity > 0 else { return }
        state.withLock { state in
            for record in records {
                let key = record.issue.key
                state.old.removeValue(forKey: key)
                state.put(Entry(record), for: key, generation: generation)
            }
        }
    }

    /// Replaces a cached issue by its triaged state (its windows stay); an issue not
    /// cached stays out, to be read with its windows when a batch needs it.
    func update(_ issue: Issue) {
        state.withLock { state in
            (state.young[issue.key] ?? state.old[issue.key])?.record.issue = issue
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
