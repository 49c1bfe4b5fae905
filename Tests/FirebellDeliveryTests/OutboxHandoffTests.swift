import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FirebellDelivery

/// Rows a commit claimed for the worker go out without a claim of its own.
struct OutboxHandoffTests {
    @Test func handedRowsGoOutAtOnceAndThoseOverTheCapsComeBackThroughAClaim() async throws {
        let config = try ConfigLoader.parse(yaml: """
            projects:
              - { id: 1, name: shop, keys: [k] }
            channels:
              out: { type: console }
            routes:
              - when: { severity: [minor, critical] }
                notify: [out]
            """, path: "h.yaml", environment: [:])
        let store = InMemoryStore()
        let printed = Mutex<[String]>([])
        let logger = Logger(label: "test")
        // Two slots and no polling: rows over the slots only go out if they were given
        // back and claimed by the worker once slots free up.
        let worker = OutboxWorker(
            store: store, config: config, curl: CurlMultiLoop(logger: logger), maxInFlight: 2,
            pollInterval: .seconds(3600), logger: logger, console: { text in printed.withLock { $0.append(text) } })
        let running = Task { try await worker.run() }
        defer { running.cancel() }

        let now = Date()
        func items(_ range: Range<Int>) -> [IngestItem] {
            range.map { n in
                IngestItem(projectID: 1, event: Event(eventID: "e\(n)", timestamp: now, message: "failure \(n)"), fingerprint: "f\(n)", receivedAt: now)
            }
        }
        let processor = BatchProcessor(config: config)
        // Each commit claims every due row of its batch; which start is the worker's call.
        let first = try await store.ingest(items(0..<3), processor: processor, claim: worker.claim)
        let second = try await store.ingest(items(3..<5), processor: processor, claim: worker.claim)
        #expect(first.claimed.count == 3 && second.claimed.count == 2)
        // Handed five for two slots: two start, three go back.
        worker.take(first.claimed + second.claimed)

        for _ in 0..<400 where try await store.deliveries(status: .delivered, limit: 10).count < 5 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let delivered = try await store.deliveries(status: .delivered, limit: 10)
        #expect(delivered.count == 5)
        #expect(delivered.allSatisfy { $0.attempts == 1 })  // a row given back did not count an attempt
        #expect(printed.withLock { $0.count } == 5)
    }
}
