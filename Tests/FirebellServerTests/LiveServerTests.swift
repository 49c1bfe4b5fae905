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

/// The assembled daemon in-process on a loopback port: what only the assembly can show
/// (config reload between requests, console alerts, metrics wiring).
struct LiveServerTests {
    static func config(rule: String) throws -> FirebellConfig {
        try ConfigLoader.parse(yaml: """
            server: { listen: "127.0.0.1:0", admin_token: admin }
            storage: { url: "sqlite::memory:" }
            projects:
              - { id: 1, name: shop, keys: [key1] }
            severity:
              critical_at: 100
              rules:
                - { name: \(rule), when: { environment: production }, add: 100 }
            channels:
              out: { type: console }
            routes:
              - { when: { severity: [minor, critical] }, notify: [out] }
            alerting:
              incident_window: 0s    # every page alone: a second critical issue is not an incident's follow-up
            """, path: "live.yaml", environment: [:])
    }

    /// Runs the app with an in-memory store, hands `body` the base URL, then shuts it down.
    static func withServer(
        _ config: FirebellConfig, _ body: (Firebell, String, ConsoleCapture) async throws -> Void
    ) async throws {
        let printed = ConsoleCapture()
        let registry = PrometheusCollectorRegistry()
        let firebell = Firebell(
            config: config, store: InMemoryStore(), logger: Logger(label: "test"),
            metrics: PrometheusMetricsFactory(registry: registry),
            console: { text in printed.lines.withLock { $0.append(text) } })
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(firebell, registry: registry) { port in portContinuation.yield(port) }
        let group = ServiceGroup(services: [app], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(firebell, "http://127.0.0.1:\(port)", printed)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func post(_ curl: CurlMultiLoop, _ url: String, _ json: String, key: String = "key1") async throws -> HTTPResponse {
        try await curl.perform(HTTPRequest(
            method: "POST", url: url,
            headers: [(name: "Authorization", value: "Bearer \(key)"), (name: "Content-Type", value: "application/json")],
            body: Array(json.utf8), timeout: 5))
    }

    static func waitFor(_ printed: ConsoleCapture, count: Int) async throws -> [String] {
        for _ in 0..<200 {
            let lines = printed.lines.withLock { $0 }
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(25))
        }
        return printed.lines.withLock { $0 }
    }

    @Test func reloadedRulesScoreTheNextEventWithoutARestart() async throws {
        try await Self.withServer(try Self.config(rule: "before")) { firebell, base, printed in
            let curl = firebell.curl
            let first = try await Self.post(curl, base + "/v1/events", #"{"message": "alpha down", "environment": "production"}"#)
            #expect(first.status == 200)
            var lines = try await Self.waitFor(printed, count: 1)
            #expect(lines.first?.contains("before +100") == true)

            firebell.reload(try Self.config(rule: "after"))
            let second = try await Self.post(curl, base + "/v1/events", #"{"message": "bravo down", "environment": "production"}"#)
            #expect(second.status == 200)
            lines = try await Self.waitFor(printed, count: 2)
            #expect(lines.count == 2)
            #expect(lines.last?.contains("after +100") == true)
        }
    }

    @Test func metricsCountEveryEventOutcome() async throws {
        try await Self.withServer(try Self.config(rule: "r")) { firebell, base, _ in
            let curl = firebell.curl
            _ = try await Self.post(curl, base + "/v1/events", #"{"message": "m", "event_id": "e1"}"#)
            _ = try await Self.post(curl, base + "/v1/events", #"{"message": "m", "event_id": "e1"}"#)
            _ = try await Self.post(curl, base + "/v1/events", #"{"level": "error"}"#)
            _ = try await Self.post(curl, base + "/v1/events", #"{"message": "m"}"#, key: "nope")
            let metrics = try await curl.perform(HTTPRequest(method: "GET", url: base + "/metrics", timeout: 5)).bodyText
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="stored"} 1"#))
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="duplicate"} 1"#))
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="invalid"} 1"#))
            #expect(metrics.contains(#"firebell_events_total{project="unknown",outcome="forbidden"} 1"#))
            #expect(metrics.contains("firebell_outbox_pending"))
        }
    }
}

/// What the console channel printed, collected for assertions.
final class ConsoleCapture: Sendable {
    let lines = Mutex<[String]>([])
}
