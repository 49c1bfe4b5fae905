import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import FirebellServer

/// `/readyz` and `/metrics` answer from what the daemon already knows: they must not
/// queue a query behind ingest on the store's one connection per request.
struct ReadinessTests {
    static func withServer(_ store: ObservedStore, _ body: (Firebell, String) async throws -> Void) async throws {
        let registry = PrometheusCollectorRegistry()
        let firebell = Firebell(
            config: try LiveServerTests.config(rule: "r"), store: store, logger: Logger(label: "test"),
            metrics: PrometheusMetricsFactory(registry: registry), console: { _ in })
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(firebell, registry: registry) { port in portContinuation.yield(port) }
        let group = ServiceGroup(services: [app], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(firebell, "http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func scrapesAndReadinessChecksDoNotQueryTheStore() async throws {
        let store = ObservedStore()
        try await Self.withServer(store) { firebell, base in
            let before = store.reads.withLock { $0 }
            for _ in 0..<10 {
                let ready = try await firebell.curl.perform(HTTPRequest(method: "GET", url: base + "/readyz", timeout: 5))
                #expect(ready.status == 200)
                let metrics = try await firebell.curl.perform(HTTPRequest(method: "GET", url: base + "/metrics", timeout: 5))
                #expect(metrics.status == 200)
            }
            // Twenty requests; only the once-a-second probe reads the store.
            let reads = store.reads.withLock { $0 } - before
            #expect(reads < 10, "\(reads) store reads for 20 scrapes and readiness checks")
        }
    }

    @Test func readinessFollowsTheStoreWithoutAQueryPerRequest() async throws {
        let store = ObservedStore()
        try await Self.withServer(store) { firebell, base in
            func status() async throws -> Int {
                try await firebell.curl.perform(HTTPRequest(method: "GET", url: base + "/readyz", timeout: 5)).status
            }
            #expect(try await status() == 200)
            store.failing.withLock { $0 = true }
            var seen = 200
            for _ in 0..<60 where seen == 200 {
                try await Task.sleep(for: .milliseconds(100))
                seen = try await status()
            }
            #expect(seen == 503)
            store.failing.withLock { $0 = false }
            for _ in 0..<60 where seen == 503 {
                try await Task.sleep(for: .milliseconds(100))
                seen = try await status()
            }
            #expect(seen == 200)
        }
    }
}

/// An in-memory store that counts the reads readiness and the outbox gauge used to make
/// per request, and whose ping can be made to fail.
final class ObservedStore: Store {
    struct Unreachable: Error {}

    let base = InMemoryStore()
    let reads = Mutex(0)
    let failing = Mutex(false)

    func ping() async throws {
        reads.withLock { $0 += 1 }
        if failing.withLock({ $0 }) { throw Unreachable() }
        try await base.ping()
    }

    func deliveryCounts() async throws -> [DeliveryStatus: Int] {
        reads.withLock { $0 += 1 }
        return try await base.deliveryCounts()
    }

    func ingest(_ items: [IngestItem], processor: BatchProcessor, claim: OutboxClaim?) async throws -> IngestResult {
        try await base.ingest(items, processor: processor, claim: claim)
    }
    func sync() async throws { try await base.sync() }
    func issues(_ query: IssueQuery) async throws -> [FirebellCore.Issue] { try await base.issues(query) }
    func issue(id: Int64) async throws -> FirebellCore.Issue? { try await base.issue(id: id) }
    func issue(projectID: Int, fingerprint: String) async throws -> FirebellCore.Issue? {
        try await base.issue(projectID: projectID, fingerprint: fingerprint)
    }
    func resolve(
        issueID: Int64, at now: Date, by who: String, projectName: @Sendable (Int) -> String, notify: @Sendable ([String]) -> [String]
    ) async throws -> FirebellCore.Issue? {
        try await base.resolve(issueID: issueID, at: now, by: who, projectName: projectName, notify: notify)
    }
    func mute(issueID: Int64, _ mute: Mute, at now: Date) async throws -> FirebellCore.Issue? { try await base.mute(issueID: issueID, mute, at: now) }
    func unmute(issueID: Int64, at now: Date) async throws -> FirebellCore.Issue? { try await base.unmute(issueID: issueID, at: now) }
    func incidents(_ query: IncidentQuery) async throws -> [Incident] { try await base.incidents(query) }
    func incident(id: Int64) async throws -> IncidentDetail? { try await base.incident(id: id) }
    func claimDeliveries(now: Date, limit: Int, lease: TimeInterval, room: ChannelRoom?) async throws -> [OutboxEntry] {
        try await base.claimDeliveries(now: now, limit: limit, lease: lease, room: room)
    }
    func finishDeliveries(_ results: [(entry: OutboxEntry, result: DeliveryResult)], at now: Date) async throws {
        try await base.finishDeliveries(results, at: now)
    }
    func releaseDeliveries(ids: [Int64], at now: Date) async throws { try await base.releaseDeliveries(ids: ids, at: now) }
    func releaseClaims(now: Date) async throws -> Int { try await base.releaseClaims(now: now) }
    func renewClaims(ids: [Int64], until: Date) async throws -> Int { try await base.renewClaims(ids: ids, until: until) }
    func finishDelivery(id: Int64, result: DeliveryResult, at now: Date) async throws {
        try await base.finishDelivery(id: id, result: result, at: now)
    }
    func nextDeliveryDue() async throws -> Date? { try await base.nextDeliveryDue() }
    func withChannelBucket<T: Sendable>(
        _ channel: String, rate: Rate, now: Date, _ decide: @escaping @Sendable (inout TokenBucket) -> T
    ) async throws -> T {
        try await base.withChannelBucket(channel, rate: rate, now: now, decide)
    }
    func deliveries(status: DeliveryStatus?, limit: Int) async throws -> [OutboxEntry] {
        try await base.deliveries(status: status, limit: limit)
    }
    func retryDelivery(id: Int64, at now: Date) async throws -> Bool { try await base.retryDelivery(id: id, at: now) }
    func threadReference(issueID: Int64, channel: String) async throws -> String? {
        try await base.threadReference(issueID: issueID, channel: channel)
    }
    func setThreadReference(issueID: Int64, channel: String, reference: String) async throws {
        try await base.setThreadReference(issueID: issueID, channel: channel, reference: reference)
    }
    func forgetThreadReference(issueID: Int64, channel: String) async throws {
        try await base.forgetThreadReference(issueID: issueID, channel: channel)
    }
    func storedEvents(
        since: Date, after cursor: EventCursor?, limit: Int
    ) async throws -> (events: [Backtest.StoredEvent], next: EventCursor?) {
        try await base.storedEvents(since: since, after: cursor, limit: limit)
    }
    func owedAlerts(since: Date) async throws -> [OwedAlert] { try await base.owedAlerts(since: since) }
    func pruneEvents(before cutoff: Date, limit: Int) async throws -> Int { try await base.pruneEvents(before: cutoff, limit: limit) }
    func pruneDeliveries(finishedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await base.pruneDeliveries(finishedBefore: cutoff, limit: limit)
    }
    func pruneIssueState(lastSeenBefore cutoff: Date, after cursor: IssuePruneCursor?, limit: Int) async throws -> IssuePruneStep {
        try await base.pruneIssueState(lastSeenBefore: cutoff, after: cursor, limit: limit)
    }
    func pruneReleases(lastSeenBefore cutoff: Date, limit: Int) async throws -> Int {
        try await base.pruneReleases(lastSeenBefore: cutoff, limit: limit)
    }
    func close() async throws { try await base.close() }
}
