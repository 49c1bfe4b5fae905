import FirebellTestSupport
import FirebellCore
import FirebellCurl
import FirebellSignatures
import FirebellStore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FirebellDelivery

/// Fault injection: the real worker, real libcurl and real loopback receivers that fail,
/// stall, refuse connections, answer 429 or 410 — each fault handled, and every owed
/// row ends delivered or still pending, never dead-lettered or gone.
@Suite(.serialized)
struct OutboxFaultTests {
    /// A worker on an in-memory store with one `webhook` channel `hook`, timings shortened.
    final class Harness: Sendable {
        let store = InMemoryStore()
        let worker: OutboxWorker
        let config: FirebellConfig
        let running: Task<Void, any Error>

        init(channel: String, perChannel: Int = 2, breaker: OutboxWorker.BreakerSettings) throws {
            config = try Self.config(channel: channel)
            let logger = Logger(label: "faults")
            worker = OutboxWorker(
                store: store, config: config, curl: CurlMultiLoop(logger: logger),
                policy: RetryPolicy(baseDelay: 0.05, maxDelay: 0.2, maxAttempts: 3), maxInFlightPerChannel: perChannel,
                pollInterval: .milliseconds(20), logger: logger, breaker: breaker)
            let worker = self.worker
            running = Task { try await worker.run() }
        }

        deinit { running.cancel() }

        /// One project, every issue routed to the channel `hook: { channel }`.
        static func config(channel: String) throws -> FirebellConfig {
            try ConfigLoader.parse(yaml: """
                projects:
                  - { id: 1, name: shop, keys: [k] }
                channels:
                  hook: { \(channel) }
                routes:
                  - when: { severity: [minor, critical] }
                    notify: [hook]
                """, path: "faults.yaml", environment: [:])
        }

        /// `count` new issues, each owing one alert to `hook`, handed to the worker as a commit does.
        func owe(_ count: Int, from start: Int = 0) async throws {
            let now = Date()
            let items = (start..<start + count).map { n in
                IngestItem(projectID: 1, event: Event(eventID: "e\(n)", timestamp: now, message: "failure \(n)"), fingerprint: "f\(n)", receivedAt: now)
            }
            let result = try await store.ingest(items, processor: BatchProcessor(config: config), claim: worker.claim)
            worker.take(result.claimed)
        }

        func rows() async throws -> [OutboxEntry] {
            try await store.deliveries(status: nil, limit: 1000)
        }

        /// Waits (polling, up to `seconds`) until `condition` holds on the outbox. Generous:
        /// with the whole test run on two cores every suite is slow (a full run has seen
        /// the worker's first attempt come 30 s late); the time windows the tests measure
        /// start only once the state they are about is seen.
        func wait(_ seconds: Double = 90, until condition: ([OutboxEntry]) -> Bool) async throws -> [OutboxEntry] {
            let deadline = Date().addingTimeInterval(seconds)
            var rows = try await self.rows()
            while !condition(rows), Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
                rows = try await self.rows()
            }
            return rows
        }
    }

    static func allDelivered(_ count: Int) -> ([OutboxEntry]) -> Bool {
        { rows in rows.count == count && rows.allSatisfy { $0.status == .delivered } }
    }

    /// A receiver whose answer can change while the test runs.
    final class Script: Sendable {
        let reply: Mutex<LoopbackReceiver.Reply>
        init(_ reply: LoopbackReceiver.Reply) { self.reply = Mutex(reply) }
        func set(_ reply: LoopbackReceiver.Reply) { self.reply.withLock { $0 = reply } }
        var current: LoopbackReceiver.Reply { reply.withLock { $0 } }
    }

    @Test func aFailingReceiverCostsOneProbePerIntervalAndEveryRowWaitsPendingUntilItRecovers() async throws {
        let script = Script(.answer(status: 503, body: Array("down".utf8)))
        let receiver = try LoopbackReceiver { _ in script.current }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#,
            breaker: .init(failuresToOpen: 5, openInterval: 0.4, maxOpenInterval: 0.4))
        try await harness.owe(20)

        // Open after five failures in a row…
        let open = try await harness.wait { rows in
            rows.contains { $0.lastError?.hasPrefix("circuit open after 5 failures in a row") == true }
        }
        #expect(open.contains { $0.lastError?.hasPrefix("circuit open after 5 failures in a row") == true })
        // …then one probe per 0.4 s at most, not a request per row and retry.
        let atOpen = receiver.count
        try await Task.sleep(for: .seconds(1.2))
        #expect(receiver.count - atOpen <= 4, "requests while the breaker was open: \(receiver.count - atOpen)")
        // maxAttempts is 3, yet nothing is dead-lettered: the failures were the receiver's.
        let waiting = try await harness.rows()
        #expect(waiting.count == 20 && waiting.allSatisfy { $0.status == .pending })

        script.set(.answer(status: 200))
        let rows = try await harness.wait(until: Self.allDelivered(20))
        #expect(rows.filter { $0.status == .delivered }.count == 20)
    }

    @Test func aStallingReceiverTimesOutOpensTheBreakerAndLosesNothing() async throws {
        let script = Script(.answer(status: 200, delay: 3))
        let receiver = try LoopbackReceiver { _ in script.current }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 1s"#, perChannel: 4,
            breaker: .init(failuresToOpen: 2, openInterval: 0.5, maxOpenInterval: 0.5))
        try await harness.owe(6)
        // Four stall to their timeout together and open the breaker; the other two wait.
        let open = try await harness.wait { rows in rows.contains { $0.lastError?.hasPrefix("circuit open") == true } }
        #expect(open.allSatisfy { $0.status == .pending })
        script.set(.answer(status: 200))
        let rows = try await harness.wait(until: Self.allDelivered(6))
        #expect(rows.filter { $0.status == .delivered }.count == 6)
    }

    @Test func refusedConnectionsOpenTheBreakerAndTheRowsGoOutWhenTheReceiverComesUp() async throws {
        let receiver = try LoopbackReceiver(refusing: true) { _ in .answer(status: 204) }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#,
            breaker: .init(failuresToOpen: 3, openInterval: 0.3, maxOpenInterval: 0.3))
        try await harness.owe(8)
        let open = try await harness.wait { rows in rows.contains { $0.lastError?.hasPrefix("circuit open") == true } }
        #expect(open.count == 8 && open.allSatisfy { $0.status == .pending })
        receiver.comeUp()
        let rows = try await harness.wait(until: Self.allDelivered(8))
        #expect(rows.filter { $0.status == .delivered }.count == 8)
        #expect(receiver.count == 8)  // each once: a probe is a delivery
    }

    @Test func fourTwentyNineIsRetriedAfterRetryAfterWithoutOpeningTheBreaker() async throws {
        let answered = Mutex(0)
        let receiver = try LoopbackReceiver { _ in
            let n = answered.withLock { n in
                n += 1
                return n
            }
            return n <= 3 ? .answer(status: 429, headers: [("Retry-After", "1")]) : .answer(status: 200)
        }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#, perChannel: 4,
            breaker: .init(failuresToOpen: 2, openInterval: 3600, maxOpenInterval: 3600))
        let started = Date()
        try await harness.owe(3)
        // Three 429s in a row: a breaker that counted them would have opened for an hour.
        let rows = try await harness.wait(until: Self.allDelivered(3))
        #expect(rows.filter { $0.status == .delivered }.count == 3)
        // Each waited the second the receiver asked for.
        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(receiver.count == 6)
    }

    @Test func fourTenParksTheChannelRowsWaitWithTheReasonAndAProbeUnparksIt() async throws {
        let script = Script(.answer(status: 410, body: Array("this hook was deleted".utf8)))
        let receiver = try LoopbackReceiver { _ in script.current }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#, perChannel: 1,
            breaker: .init(parkedProbeInterval: 0.5))
        try await harness.owe(4)
        let parked = try await harness.wait { rows in
            rows.contains { $0.lastError?.hasPrefix("channel parked: receiver answered 410 Gone") == true }
        }
        #expect(parked.count == 4 && parked.allSatisfy { $0.status == .pending })
        // Parked: one probe per interval, not a request per row.
        let atParking = receiver.count
        try await Task.sleep(for: .seconds(1.2))
        #expect(receiver.count - atParking <= 3, "requests while parked: \(receiver.count - atParking)")
        #expect(try await harness.rows().allSatisfy { $0.status == .pending })

        script.set(.answer(status: 200))
        let rows = try await harness.wait(until: Self.allDelivered(4))
        #expect(rows.filter { $0.status == .delivered }.count == 4)
    }

    @Test func threeUnauthorizedInARowParkAndAConfigReloadUnparks() async throws {
        let script = Script(.answer(status: 401, body: Array("bad token".utf8)))
        let receiver = try LoopbackReceiver { _ in script.current }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#, perChannel: 1,
            breaker: .init(parkedProbeInterval: 3600))
        try await harness.owe(5)
        let parked = try await harness.wait { rows in
            rows.contains { $0.lastError?.hasPrefix("channel parked: receiver answered 401 3 times in a row") == true }
        }
        #expect(parked.count == 5 && parked.allSatisfy { $0.status == .pending })
        let hits = receiver.count
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.count == hits)  // parked for an hour: nothing goes

        script.set(.answer(status: 200))
        harness.worker.update(config: harness.config)  // the operator fixed the token and reloaded
        let rows = try await harness.wait(until: Self.allDelivered(5))
        #expect(rows.filter { $0.status == .delivered }.count == 5)
    }

    @Test func aLongOutageCostsTheRowsNoneOfTheirAttempts() async throws {
        /// nil: down (503 to everything); then these answers in turn, and 200 after them.
        let recovery = Mutex<[Int]?>(nil)
        let receiver = try LoopbackReceiver { _ in
            recovery.withLock { answers in
                guard answers != nil else { return .answer(status: 503, body: Array("down".utf8)) }
                return answers!.isEmpty ? .answer(status: 200) : .answer(status: answers!.removeFirst())
            }
        }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#, perChannel: 1,
            breaker: .init(failuresToOpen: 2, openInterval: 0.1, maxOpenInterval: 0.1))
        try await harness.owe(1)
        // Probed every 0.1 s: many more requests than the row's three attempts…
        let probed = try await harness.wait { _ in receiver.count >= 8 }
        #expect(receiver.count >= 8)
        // …yet the probes were the receiver's failures, not the row's: it has attempts left.
        #expect(probed.count == 1 && probed[0].status == .pending && probed[0].attempts <= 2, "\(probed)")

        // The operator changed the channel and reloaded: the breaker closes, and the receiver,
        // back, answers one more 503 — which a row that had spent its attempts on probes would die of.
        recovery.withLock { $0 = [503] }
        harness.worker.update(config: try Harness.config(channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 3s"#))
        let rows = try await harness.wait(until: Self.allDelivered(1))
        #expect(rows.first?.status == .delivered, "\(rows)")
    }

    @Test func aRowAtItsLastAttemptIsNotLostWhileItsChannelHeadsForParking() async throws {
        // Two 503s use up two of the row's three attempts; then the token is revoked.
        let answered = Mutex(0)
        let revoked = Mutex(true)
        let receiver = try LoopbackReceiver { _ in
            let n = answered.withLock { n in
                n += 1
                return n
            }
            if n <= 2 { return .answer(status: 503) }
            return revoked.withLock { $0 } ? .answer(status: 401, body: Array("bad token".utf8)) : .answer(status: 200)
        }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", timeout: 2s"#, perChannel: 1,
            breaker: .init(refusalsToPark: 3, parkedProbeInterval: 3600))
        try await harness.owe(1)
        let parked = try await harness.wait { rows in rows.first?.lastError?.hasPrefix("channel parked: receiver answered 401 3 times") == true }
        // Its third attempt was refused, and two more: the channel parked, the row still pending.
        #expect(parked.first?.status == .pending, "\(parked)")
        #expect(receiver.count == 5)

        revoked.withLock { $0 = false }
        harness.worker.update(config: harness.config)
        let rows = try await harness.wait(until: Self.allDelivered(1))
        #expect(rows.first?.status == .delivered)
    }

    @Test func aTemplatedWebhookIsSignedOverTheBodyItSends() async throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        // The receiver does what a Standard Webhooks library does: verify, or refuse with 400.
        let receiver = try LoopbackReceiver { request in
            let valid = StandardWebhooks.verify(
                secret: secret, id: request.values("webhook-id").first ?? "", timestamp: request.values("webhook-timestamp").first ?? "",
                signatures: request.values("webhook-signature").first ?? "", body: request.body, now: Date())
            return valid ? .answer(status: 204) : .answer(status: 400, body: Array("bad signature".utf8))
        }
        defer { receiver.stop() }
        let harness = try Harness(
            channel: #"type: webhook, url: "\#(receiver.url("/hook"))", secret: "\#(secret)", template: '{"text": "{{{json.title}}}"}'"#,
            breaker: .init())
        try await harness.owe(1)
        let rows = try await harness.wait(until: Self.allDelivered(1))
        #expect(rows.first?.status == .delivered, "\(rows.first?.lastError ?? "")")
        let body = String(decoding: try #require(receiver.received.first).body, as: UTF8.self)
        #expect(body.hasPrefix(#"{"text": ""#) && body.contains("failure 0"))
    }
}
