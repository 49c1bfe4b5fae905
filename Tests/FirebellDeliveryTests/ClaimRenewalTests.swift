import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// The worker's running attempts keep their claims (`ClaimRenewal`): a renewal extends
/// the rows held, and a row whose outcome was written is no longer renewed.
struct ClaimRenewalTests {
    @Test func aRenewalExtendsTheClaimsOfHeldRowsOnly() async throws {
        let config = try ConfigLoader.parse(yaml: """
            projects:
              - { id: 1, name: shop, keys: [k] }
            channels:
              out: { type: console }
            routes:
              - when: { severity: [minor, critical] }
                notify: [out]
            """, path: "r.yaml", environment: [:])
        let store = InMemoryStore()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let items = (0..<3).map { n in
            IngestItem(projectID: 1, event: Event(eventID: "e\(n)", timestamp: t0, message: "failure \(n)"), fingerprint: "f\(n)", receivedAt: t0)
        }
        let claimed = try await store.ingest(items, processor: BatchProcessor(config: config), claim: OutboxClaim(lease: 30)).claimed
        #expect(claimed.count == 3)

        let renewal = ClaimRenewal()
        renewal.hold(claimed.map(\.id))
        renewal.release([claimed[2].id])
        // Ten seconds on, each held claim runs another full lease: until t0 + 40.
        #expect(try await renewal.renew(in: store, now: t0.addingTimeInterval(10), lease: 30) == 2)
        let due = try await store.claimDeliveries(now: t0.addingTimeInterval(35), limit: 10, lease: 30)
        #expect(due.map(\.id) == [claimed[2].id])
        #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(41), limit: 10, lease: 30).count == 2)
    }

    @Test func theLeaseIsStorageLeaseItselfAboveAFloor() throws {
        func lease(_ value: String) throws -> TimeInterval {
            let config = try ConfigLoader.parse(yaml: """
                storage: { url: "sqlite:x.sqlite", lease: \(value) }
                projects:
                  - { id: 1, name: shop, keys: [k] }
                channels:
                  slow: { type: webhook, url: "http://127.0.0.1:9/x", timeout: 60s }
                routes:
                  - when: { severity: [minor, critical] }
                    notify: [slow]
                """, path: "l.yaml", environment: [:])
            return OutboxScheduler(settings: OutboxWorker.Settings(config: config), maxInFlight: 1, maxInFlightPerChannel: 1).lease
        }
        // Not stretched past the slowest channel's timeout: renewal keeps a slow attempt's row.
        #expect(try lease("30s") == 30)
        #expect(try lease("1s") == OutboxScheduler.minimumLease)
    }
}
