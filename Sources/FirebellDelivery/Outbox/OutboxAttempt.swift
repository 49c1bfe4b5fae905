import FirebellCore
import FirebellCurl
import FirebellStore
import Foundation
import Logging
import Metrics

/// One attempt on one planned unit of claimed rows: encode with the channel's
/// encoder and `template`, find the issue's thread, send through libcurl, and the
/// verdict — delivered, retry at, dead, or deferred (over `channel_rate`) — with what
/// the answer says about the receiver (`ReceiverSignal`) for the channel's breaker.
///
/// It decides nothing about slots or order (that is `OutboxScheduler`) and writes
/// no outcome (the worker writes them in batches). Its only store access is the
/// issue's thread reference on the channel: read before, kept after its first
/// accepted alert.
struct OutboxAttempt: Sendable {
    let store: any Store
    let curl: CurlMultiLoop
    let policy: RetryPolicy
    /// For `refusalsToPark`: how many more tries a refused row gets (see `judge`).
    let breaker: OutboxWorker.BreakerSettings
    let clock: @Sendable () -> Date
    let console: @Sendable (String) -> Void
    let logger: Logger
    let metrics: any MetricsFactory

    /// How an attempt ended: the rows' result, and what it says about the receiver.
    struct Report: Sendable, Equatable {
        var result: DeliveryResult
        var signal: ReceiverSignal
    }

    /// Encodes and sends rows as planned, with the channels of `settings`.
    func attempt(_ unit: DeliveryUnit, settings: OutboxWorker.Settings) async -> Report {
        let entries = unit.entries
        guard let first = entries.first else { return Report(result: .delivered(status: 0), signal: .none) }
        if case .deferred(_, let until) = unit { return Report(result: .deferred(until: until), signal: .none) }
        let now = clock()
        let baseURL = settings.baseURL
        let template = settings.templates[first.channel]
        guard let config = settings.channels[first.channel] else {
            return Report(result: .dead(status: nil, error: "channel '\(first.channel)' is no longer in the config"), signal: .none)
        }
        guard let encoder = ChannelRegistry.encoder(for: config) else {
            return Report(result: .dead(status: nil, error: "channel type '\(config.type.rawValue)' has no encoder in this build"), signal: .none)
        }
        let key = entries.count == 1 ? first.idempotencyKey : "firebell-rollup-\(first.id)-\(entries.count)-\(first.channel)"
        var context = DeliveryContext(baseURL: baseURL, idempotencyKey: key, now: now)
        var thread: String?
        if encoder.threads, case .single = unit {
            thread = try? await store.threadReference(issueID: first.issueID, channel: first.channel)
            context.threadReference = thread
        }
        var reason: RollUp.Reason?
        if case .rollUp(_, .incident(var incident)) = unit {
            // A follow-up answers the incident's first page: in its thread where the channel
            // has threads. If the store cannot say, the update goes out on its own.
            incident.firstPage = (try? await store.incident(id: incident.incidentID))?.incident.firstPage
            if encoder.threads, let page = incident.firstPage {
                context.threadReference = try? await store.threadReference(issueID: page.issueID, channel: first.channel)
            }
            reason = .incident(incident)
        }
        /// One alert as the channel sends it, its `template` applied.
        func encoded(_ alert: Alert, _ context: DeliveryContext) throws -> ChannelMessage {
            let message = try encoder.encode(alert, context: context)
            guard let template else { return message }
            return encoder.applying(template: template.render(alert, baseURL: baseURL), to: message)
        }
        /// Several alerts as the channel sends them, its `template` applied.
        func encoded(_ rollUp: RollUp, _ context: DeliveryContext) throws -> ChannelMessage {
            let message = try encoder.encode(rollUp, context: context)
            guard let template else { return message }
            return encoder.applying(template: template.render(rollUp, baseURL: baseURL), to: message)
        }
        // As things stand when it is sent (`RollUp.current`).
        var rollUp: RollUp?
        if case .rollUp(let rows, let planned) = unit {
            rollUp = RollUp(alerts: rows.map(\.alert), reason: reason ?? planned).current(await currentIssues(of: rows))
        }
        var message: ChannelMessage
        do {
            switch unit {
            case .single(let entry):
                message = try encoded(entry.alert, context)
            case .rollUp:
                message = try encoded(rollUp!, context)
            case .deferred:
                return Report(result: .delivered(status: 0), signal: .none)
            }
        } catch {
            return Report(result: .dead(status: nil, error: "could not encode the alert for '\(first.channel)': \(error)"), signal: .none)
        }
        let attempts = entries.map(\.attempts).max() ?? 1
        switch message {
        case .console(let text):
            console(text)
            return Report(result: .delivered(status: 0), signal: .alive)
        case .mail(let mail):
            do {
                let receipt = try await curl.send(mail)
                let result = policy.result(
                    of: .success(.accepted), status: receipt.responseCode, attempts: attempts,
                    now: clock(), jitter: Double.random(in: 0...1))
                return Report(result: result, signal: .alive)
            } catch {
                return Self.judge(error, attempts: attempts, policy: policy, now: clock(), jitter: Double.random(in: 0...1))
            }
        case .http(let request):
            do {
                var response = try await curl.perform(request)
                var verdict = encoder.verdict(on: response)
                if verdict != .accepted, let gone = thread, case .single(let entry) = unit, encoder.threadGone(response) {
                    // Someone deleted the message this follow-up edits or answers: send the
                    // alert as a first message, which the next follow-ups then go to.
                    logger.info("thread message is gone; sending the alert as a new message", metadata: [
                        "delivery.channel": "\(first.channel)", "issue.id": "\(first.issueID)", "thread.reference": "\(gone)",
                    ])
                    // Not forgotten (store trouble): the next follow-up finds it gone again.
                    try? await store.forgetThreadReference(issueID: first.issueID, channel: first.channel)
                    thread = nil
                    context.threadReference = nil
                    if case .http(let again)? = try? encoded(entry.alert, context) {
                        response = try await curl.perform(again)
                        verdict = encoder.verdict(on: response)
                    }
                }
                if verdict != .accepted, let rollUp, rollUp.incident != nil, context.threadReference != nil, encoder.threadGone(response) {
                    // The incident's first page was deleted: its update goes out as a message of its own.
                    context.threadReference = nil
                    if case .http(let again)? = try? encoded(rollUp, context) {
                        response = try await curl.perform(again)
                        verdict = encoder.verdict(on: response)
                    }
                }
                if verdict == .accepted, thread == nil, case .single = unit, let reference = encoder.threadReference(from: response) {
                    // Kept before the row is marked delivered: a crash in between re-sends, never loses the thread.
                    try? await store.setThreadReference(issueID: first.issueID, channel: first.channel, reference: reference)
                }
                return Self.judge(
                    response, verdict: verdict, attempts: attempts, policy: policy, breaker: breaker, now: clock(),
                    jitter: Double.random(in: 0...1))
            } catch {
                return Self.judge(error, attempts: attempts, policy: policy, now: clock(), jitter: Double.random(in: 0...1))
            }
        }
    }

    /// The issues a roll-up names, as they stand now (a roll-up reports the present, not
    /// what each alert said when it was queued). One the store cannot read now keeps its
    /// alert as it was: late news beats no news.
    private func currentIssues(of rows: [OutboxEntry]) async -> [Int64: Issue] {
        var issues: [Int64: Issue] = [:]
        for id in Set(rows.map(\.issueID)) {
            if let issue = try? await store.issue(id: id) { issues[id] = issue }
        }
        return issues
    }

    /// What an HTTP answer means for the rows (the retry policy's result) and for the
    /// receiver (the signal the channel's gate hears).
    ///
    /// 401, 403 and 404 are not dead-lettered at once: they may be a one-off or a revoked
    /// token, so the row tries again and the channel parks when they come
    /// `refusalsToPark` times in a row. A row already at its last attempt gets that many
    /// more, so it cannot die of refusals its channel was about to park for; a row the
    /// receiver refuses while taking the channel's other alerts dies after them.
    static func judge(
        _ response: HTTPResponse, verdict: ReceiverVerdict, attempts: Int, policy: RetryPolicy,
        breaker: OutboxWorker.BreakerSettings, now: Date, jitter: Double
    ) -> Report {
        let signal = signal(response, verdict, now: now, maxRetryAfter: policy.maxRetryAfter)
        var verdict = verdict
        var policy = policy
        if case .refused(_, let reason) = signal {
            verdict = .retryable(reason: reason, retryAfter: nil)
            policy.maxAttempts += breaker.refusalsToPark
        }
        let result = policy.result(of: .success(verdict), status: response.status, attempts: attempts, now: now, jitter: jitter)
        return Report(result: result, signal: signal)
    }

    /// No answer at all (timeout, refused connection, TLS…): the retry policy's result,
    /// and whether it means the receiver is unhealthy.
    static func judge(_ error: CurlError, attempts: Int, policy: RetryPolicy, now: Date, jitter: Double) -> Report {
        let result = policy.result(of: .failure(error), status: nil, attempts: attempts, now: now, jitter: jitter)
        return Report(result: result, signal: signal(error))
    }

    /// What an answer says about the receiver: 410 gone, 401/403/404 refused, 429 nothing
    /// (it is up), other retryable answers (5xx, 408, 425) failing, anything else alive.
    /// A `Retry-After` counts for the breaker only as far as the retry policy honours one.
    static func signal(_ response: HTTPResponse, _ verdict: ReceiverVerdict, now: Date, maxRetryAfter: TimeInterval) -> ReceiverSignal {
        switch verdict {
        case .accepted:
            return .alive
        case .retryable(let reason, let retryAfter):
            if response.status == 429 { return .none }
            let wait = retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: now) }.map { min($0, maxRetryAfter) }
            return .failing(reason: reason, retryAfter: wait)
        case .rejected(let reason):
            switch response.status {
            case 410: return .gone(status: 410, reason: reason)
            case 401, 403, 404: return .refused(status: response.status, reason: reason)
            default: return .alive
            }
        }
    }

    /// Timeouts, refused connections, unresolved names and broken transfers mean the
    /// receiver is unhealthy. TLS and request errors are the channel's config; SMTP's
    /// refusals are the mail's; a cancelled transfer is our own shutdown.
    static func signal(_ error: CurlError) -> ReceiverSignal {
        switch error.kind {
        case .timeout, .connect, .resolve, .send, .receive, .other:
            .failing(reason: error.description, retryAfter: nil)
        case .tls, .badRequest, .authentication, .rejected, .cancelled:
            .none
        }
    }

    /// Every row of an attempt gets its outcome counted (and the attempt its time), and one
    /// log line. A held row (the channel's breaker or parking holds it for the probe) is
    /// said once, loudly, by the worker when the channel changes; here only at debug level.
    func record(_ entries: [OutboxEntry], _ result: DeliveryResult, elapsed: Duration) {
        guard let first = entries.first else { return }
        let outcome: String
        switch result {
        case .delivered: outcome = "delivered"
        case .retry: outcome = "retry"
        case .deferred: outcome = "deferred"
        case .held: outcome = "held"
        case .dead: outcome = "dead"
        }
        if case .deferred = result {} else {
            Timer(label: "firebell_delivery_seconds", dimensions: [("channel", first.channel)], factory: metrics)
                .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            for entry in entries {
                Counter(label: "firebell_deliveries_total", dimensions: [("channel", entry.channel), ("outcome", outcome)], factory: metrics).increment()
                // A held attempt is not counted on the row, so the row's next attempt is its
                // first again: the alert is counted there.
                if case .held = result {} else if entry.attempts == 1 {
                    Counter(label: "firebell_alerts_total", dimensions: [("channel", entry.channel), ("kind", entry.alert.kind.rawValue)], factory: metrics).increment()
                }
            }
        }
        var metadata: Logger.Metadata = [
            "delivery.ids": "\(entries.map(\.id))", "delivery.channel": "\(first.channel)", "delivery.attempt": "\(first.attempts)",
            "delivery.outcome": "\(outcome)",
        ]
        switch result {
        case .delivered:
            logger.debug("alert delivered", metadata: metadata)
        case .deferred(let until):
            metadata["delivery.until"] = "\(Timestamps.format(until))"
            logger.info("channel over channel_rate; alerts wait for a roll-up", metadata: metadata)
        case .retry(let at, _, let error):
            metadata["delivery.retry_at"] = "\(Timestamps.format(at))"
            metadata["error"] = "\(error)"
            logger.warning("alert delivery failed; will retry", metadata: metadata)
        case .held(_, _, let error):
            metadata["error"] = "\(error)"
            logger.debug("alert delivery failed; waits for the channel's probe", metadata: metadata)
        case .dead(_, let error):
            metadata["error"] = "\(error)"
            logger.error("alert dead-lettered", metadata: metadata)
        }
    }
}
