import FirebellCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import FirebellStore

/// A 200 means durable: the writer answers after `Store.sync()`, alerts may go before it.
struct DurabilityTests {
    let processor: BatchProcessor
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        let yaml = """
            projects:
              - { id: 1, name: checkout, keys: [k] }
            channels:
              chat: { type: console }
            routes:
              - when: { severity: [minor, critical] }
                notify: [chat]
            """
        processor = BatchProcessor(config: try ConfigLoader.parse(yaml: yaml, path: "d.yaml", environment: [:]))
    }

    func item(_ id: String) -> IngestItem {
        IngestItem(projectID: 1, event: Event(eventID: id, timestamp: t0, message: "boom \(id)"), fingerprint: "fp-\(id)", receivedAt: t0)
    }

    @Test func theWriterAnswersOnlyAfterTheSyncButReportsTheCommitBeforeIt() async throws {
        let store = GatedSyncStore()
        let committed = Mutex(0)
        let writer = IngestWriter(store: store, processor: processor, logger: Logger(label: "test"), onCommit: { result in
            committed.withLock { $0 += result.outcomes.count }
        })
        let service = Task { try await writer.run() }
        defer { service.cancel() }
        let answered = Mutex(false)
        let answer = Task {
            let outcomes = try await writer.submit([item("a"), item("b")])
            answered.withLock { $0 = true }
            return outcomes
        }

        try await waitUntil { committed.withLock { $0 } == 2 }
        try await waitUntil { store.syncsWaiting == 1 }
        // Committed and reported, but not synced: the client has no answer yet.
        try await Task.sleep(for: .milliseconds(50))
        #expect(answered.withLock { $0 } == false)

        store.open()
        let outcomes = try await answer.value
        #expect(answered.withLock { $0 })
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } })
    }

    @Test func aFailedSyncFailsTheBatchsRequests() async throws {
        let store = GatedSyncStore(failing: true)
        let writer = IngestWriter(store: store, processor: processor, logger: Logger(label: "test"))
        let service = Task { try await writer.run() }
        defer { service.cancel() }
        store.open()
        await #expect(throws: StoreError.self) { try await writer.submit([item("a")]) }
    }

    @Test func concurrentSyncsOfAFileStoreAllReturnAndTheDataIsThereAfterReopening() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-durability-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        _ = try await store.ingest((0..<20).map { item("e\($0)") }, processor: processor)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { try await store.sync() } }
            try await group.waitForAll()
        }
        try await store.close()

        let reopened = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        let issues = try await reopened.issues(IssueQuery(limit: 100))
        try await reopened.close()
        #expect(issues.count == 20)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        #expect(condition())
    }
}

/// An in-memory store whose `sync()` waits until the test opens it.
private final class GatedSyncStore: Store, @unchecked Sendable {
    private let inner = InMemoryStore()
    private let failing: Bool
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    init(failing: Bool = false) { self.failing = failing }

    var syncsWaiting: Int { state.withLock { $0.waiting.count } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    func sync() async throws {
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
        if failing { throw StoreError("disk on fire") }
    }

    func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        try await inner.ingest(items, processor: processor, claim: claim)
    }
    func releaseDeliveries(ids: [Int64], at now: Date) async throws { try await inner.releaseDeliveries(ids: ids, at: now) }
    func issues(_ query: IssueQuery) async throws -> [FirebellCore.Issue] { try await inner.issues(query) }
    func issue(id: Int64) async throws -> FirebellCore.Issue? { try await inner.issue(id: id) }
    func issue(projectID: Int, fingerprint: String) async throws -> FirebellCore.Issue? {
        try await inner.issue(projectID: projectID, fingerprint: fingerprint)
    }
    func resolve(issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]) async throws -> FirebellCore.Issue? {
        try await inner.resolve(issueID: issueID, at: now, by: who, projectName: projectName, notify: notify)
    }
    func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> FirebellCore.Issue? { try await inner.mute(issueID: issueID, mute, at: now) }
    func unmute(issueID: Int64, at now: Date) async throws -> FirebellCore.Issue? { try await inner.unmute(issueID: issueID, at: now) }
    func incidents(_ query: IncidentQuery) async throws -> [Incident] { try await inner.incidents(query) }
    func incident(id: Int64) async throws -> IncidentDetail? { try await inner.incident(id: id) }
    func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        try await inner.claimDeliveries(now: now, limit: limit, lease: lease, room: room)
    }
    func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws {
        try await inner.finishDeliveries(results, at: now)
    }
    func releaseClaims(now: Date) async throws -> Int { try await inner.releaseClaims(now: now) }
    func renewClaims(ids: [Int64], until: Date) async throws -> Int { try await inner.renewClaims(ids: ids, until: until) }
    func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws { try await inner.finishDelivery(id: id, result: result, at: now) }
    func nextDeliveryDue() async throws -> Date? { try await inner.nextDeliveryDue() }
    func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T {
        try await inner.withChannelBucket(channel, rate: rate, now: now, decide)
    }
    func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry] { try await inner.deliveries(status: status, limit: limit) }
    func deliveryCounts() async throws -> [DeliveryStatus: Int] { try await inner.deliveryCounts() }
    func retryDelivery(id: Int64, at now: Date) async throws -> Bool { try await inner.retryDelivery(id: id, at: now) }
    func threadReference(issueID: Int64, channel: String) async throws -> String? { try await inner.threadReference(issueID: issueID, channel: channel) }
    func setThreadReference(issueID: Int64, channel: String, reference: String) async throws {
        try await inner.setThreadReference(issueID: issueID, channel: channel, reference: reference)
    }
    func forgetThreadReference(issueID: Int64, channel: String) async throws {
        try await inner.forgetThreadReference(issueID: issueID, channel: channel)
    }
    func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int { try await inner.pruneEvents(before: cutoff, limit: limit) }
    func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await inner.pruneDeliveries(finishedBefore: cutoff, limit: limit)
    }
    func pruneIssueState(lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int) async throws -> IssuePruneStep {
        try await inner.pruneIssueState(lastSeenBefore: cutoff, after: cursor, limit: limit)
    }
    func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int {
        try await inner.pruneReleases(lastSeenBefore: cutoff, limit: limit)
    }
    func storedEvents(since: Date, after cursor: EventCursor?, limit: Int) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?) {
        try await inner.storedEvents(since: since, after: cursor, limit: limit)
    }
    func owedAlerts(since: Date) async throws -> [OwedAlert] { try await inner.owedAlerts(since: since) }
    func ping() async throws {}
    func close() async throws {}
}
