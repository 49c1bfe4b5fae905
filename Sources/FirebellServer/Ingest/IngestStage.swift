import FirebellCore
import FirebellStore
import Foundation
import Logging

/// Where every ingest route ends, whatever it decoded: rate limit → fingerprint →
/// the writer (score, decide, route, outbox; committed) → one outcome per event in
/// `firebell_events_total`.
///
/// `/v1/events`, the Sentry routes, `/v1/alertmanager` and the OTLP routes hand it
/// the `Event`s they decoded, with the project they authenticated and the config
/// snapshot the request read once: a reload in the middle of a request never mixes
/// two configs.
struct IngestStage: Sendable {
    let writer: IngestWriter
    let limiter: RateLimiter
    let counters: EventCounters
    /// Told when the store failed a batch, so `/readyz` says so without asking the store.
    let status: StoreStatus
    let clock: @Sendable () -> Date
    let logger: Logger

    /// Events (or envelope items) one request may carry. Every larger request is
    /// refused whole with 413, every time. It is half the writer's queue (50,000
    /// events, `IngestWriter.maxQueuedEvents`): a request within it fits whenever the
    /// queue is at most half full, so its 429 means "retry shortly", never "can never
    /// fit" (a request past the queue used to get 429 on every retry).
    static let maxItemsPerRequest = 25_000

    /// The 413 for a request of `count` events or items, before any of them is decoded further.
    static func tooManyItems(_ count: Int, what: String = "events") -> ClientError {
        ClientError(
            .contentTooLarge,
            "\(count) \(what) in one request; at most \(maxItemsPerRequest) are accepted per request: split it")
    }

    /// Rate-limits, fingerprints and writes `events`; returns once they are committed.
    ///
    /// Throws a `ClientError` that already is the answer: 413 past `maxItemsPerRequest`;
    /// 429 with `Retry-After` (the project's `rate_limit`, or the writer's queue full);
    /// 503 when shutting down, when the store failed, or while its disk is below
    /// `storage.min_free`. Every event is counted with exactly one outcome.
    @discardableResult
    func accept(_ events: [Event], project: ProjectConfig, rules: Firebell.Rules, now: Date) async throws -> [IngestOutcome] {
        guard events.count <= Self.maxItemsPerRequest else {
            count(project: project, outcome: "too_large", events.count)
            throw Self.tooManyItems(events.count)
        }
        if let wait = limiter.admit(project: project, events: events.count, now: now) {
            count(project: project, outcome: "rate_limited", events.count)
            let seconds = Int(wait.rounded(.up))
            throw ClientError(
                .tooManyRequests, "project \(project.id) is over its rate_limit; retry in \(seconds)s",
                headers: [.retryAfter: String(seconds)])
        }
        if let refusal = status.refusal {
            count(project: project, outcome: "unavailable", events.count)
            throw ClientError(.serviceUnavailable, "\(refusal); nothing was stored, retry in 30s", headers: [.retryAfter: "30"])
        }
        let items = events.map { event in
            IngestItem(
                projectID: project.id, event: event, fingerprint: rules.fingerprinter.fingerprint(event).hash, receivedAt: now)
        }
        let outcomes: [IngestOutcome]
        do {
            outcomes = try await writer.submit(items)
        } catch IngestWriterError.queueFull {
            count(project: project, outcome: "queue_full", events.count)
            throw ClientError(.tooManyRequests, "ingest queue is full; retry shortly", headers: [.retryAfter: "1"])
        } catch IngestWriterError.stopped {
            count(project: project, outcome: "unavailable", events.count)
            throw ClientError(.serviceUnavailable, "shutting down; retry shortly", headers: [.retryAfter: "5"])
        } catch {
            count(project: project, outcome: "store_error", events.count)
            // A lock, a full disk or an unreachable database is named to the client; any
            // other failure only in the log. An unreachable database is dated when the
            // request came: a request that waited out an outage and fails after the store
            // recovered is old news. A lock or a full disk is news when it fails: the
            // lock was held for the whole busy timeout until now (a ping that read the
            // store meanwhile proved nothing about writes).
            let unavailable = error as? StoreUnavailable
            let at = unavailable?.reason == .unreachable ? now : clock()
            if status.failed(unavailable.map { "\($0)" } ?? "the store failed a write: \(error)", at: at) {
                logger.error(
                    "store unavailable; events are refused until it recovers",
                    metadata: ["error": "\(error)", "store.cause": "\(unavailable?.cause ?? "")"])
            }
            let detail = unavailable.map { "\($0); nothing was stored, retry in 5s" }
                ?? "the store could not write; nothing was stored, retry shortly"
            throw ClientError(.serviceUnavailable, detail, headers: [.retryAfter: "5"])
        }
        let stored = outcomes.filter { if case .stored = $0 { true } else { false } }.count
        count(project: project, outcome: "stored", stored)
        count(project: project, outcome: "duplicate", outcomes.count - stored)
        return outcomes
    }

    /// Counts `n` events that a route turned away before this stage (`unauthorized`,
    /// `forbidden`, `invalid`), so they too end with an outcome. `project` nil: not known.
    func count(project: ProjectConfig?, outcome: String, _ n: Int) {
        counters.count(project: project?.id, outcome: outcome, n)
    }

    /// The id of an event whose reporter sent none: 32 lowercase hex characters, like Sentry's.
    static func makeEventID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
