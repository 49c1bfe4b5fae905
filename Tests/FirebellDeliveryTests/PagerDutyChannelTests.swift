import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

struct PagerDutyChannelTests {
    let pagerDuty = PagerDutyChannel(routingKey: "R0UT1NGKEY0123456789ABCDEFGHIJKL", timeout: 10)

    static func request(_ message: ChannelMessage) throws -> HTTPRequest {
        guard case .http(let request) = message else { throw PagerDutyTestError.notHTTP }
        return request
    }

    static func body(_ message: ChannelMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request(message).body)) as? [String: Any])
    }

    static func payload(_ message: ChannelMessage) throws -> [String: Any] {
        try #require(try body(message)["payload"] as? [String: Any])
    }

    static func alert(_ kind: AlertKind, severity: Severity = .critical, issueID: Int64 = 42) -> Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = kind
        alert.severity = severity
        alert.issueID = issueID
        return alert
    }

    @Test func goldenFiles() throws {
        let context = GoldenAlerts.context
        try Golden.check(pagerDuty.encode(GoldenAlerts.ordinary, context: context), "pagerduty/ordinary.txt")
        try Golden.check(pagerDuty.encode(GoldenAlerts.hostile, context: context), "pagerduty/hostile.txt")
        try Golden.check(pagerDuty.encode(GoldenAlerts.overLong, context: context), "pagerduty/overlong.txt")
        try Golden.check(pagerDuty.encode(Self.alert(.resolved), context: context), "pagerduty/resolved.txt")
        try Golden.check(pagerDuty.encode(PagerDutyFixtures.rollUp, context: context), "pagerduty/rollup.txt")
    }

    @Test func triggersAnEventsV2Event() throws {
        let message = try pagerDuty.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)
        let request = try Self.request(message)
        #expect(request.method == "POST")
        #expect(request.url == "https://events.pagerduty.com/v2/enqueue")
        #expect(request.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
        let body = try Self.body(message)
        #expect(body["routing_key"] as? String == "R0UT1NGKEY0123456789ABCDEFGHIJKL")
        #expect(body["event_action"] as? String == "trigger")
        #expect(body["client"] as? String == "Firebell")
        let links = try #require(body["links"] as? [[String: Any]])
        #expect(links.first?["href"] as? String == "http://firebell.example:8470/v1/issues/42")
        let payload = try Self.payload(message)
        #expect(payload["summary"] as? String == "[CRITICAL] checkout/production: PaymentError: card declined")
        #expect(payload["source"] as? String == "checkout/production")
        #expect(payload["timestamp"] as? String == "2026-11-30T05:00:00Z")
        let details = try #require(payload["custom_details"] as? [String: Any])
        #expect(details["events"] as? Int == 3)
        #expect(details["users"] as? Int == 2)
        #expect(details["release"] as? String == "1.4.2")
        #expect(details["top_frames"] as? [String] == GoldenAlerts.ordinary.topFrames)
    }

    @Test func baseURLOverrideIsUsed() throws {
        let local = PagerDutyChannel(routingKey: "k", baseURL: "http://127.0.0.1:9999/", timeout: 2)
        #expect(try Self.request(local.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context)).url == "http://127.0.0.1:9999/v2/enqueue")
    }

    @Test func everyAlertOfAnIssueSharesOneDedupKey() throws {
        var keys: Set<String> = []
        for kind in AlertKind.allCases {
            for severity in Severity.allCases {
                var context = GoldenAlerts.context
                context.idempotencyKey = "firebell-42-\(kind.rawValue)-pd"  // differs per alert; the dedup key must not
                keys.insert(try #require(try Self.body(pagerDuty.encode(Self.alert(kind, severity: severity), context: context))["dedup_key"] as? String))
            }
        }
        #expect(keys == ["firebell-issue-42"])
        let other = try Self.body(pagerDuty.encode(Self.alert(.new, issueID: 43), context: GoldenAlerts.context))
        #expect(other["dedup_key"] as? String == "firebell-issue-43")
    }

    @Test func severityIsMappedCriticalToCriticalMinorToWarning() throws {
        #expect(try Self.payload(pagerDuty.encode(Self.alert(.new, severity: .critical), context: GoldenAlerts.context))["severity"] as? String == "critical")
        #expect(try Self.payload(pagerDuty.encode(Self.alert(.new, severity: .minor), context: GoldenAlerts.context))["severity"] as? String == "warning")
        #expect(try Self.payload(pagerDuty.encode(Self.alert(.escalation, severity: .critical), context: GoldenAlerts.context))["severity"] as? String == "critical")
    }

    @Test func resolvedAlertsResolveTheIncident() throws {
        for kind in AlertKind.allCases {
            let body = try Self.body(pagerDuty.encode(Self.alert(kind), context: GoldenAlerts.context))
            #expect(body["event_action"] as? String == (kind == .resolved ? "resolve" : "trigger"), "\(kind)")
        }
        let resolve = try Self.body(pagerDuty.encode(Self.alert(.resolved), context: GoldenAlerts.context))
        #expect(Set(resolve.keys) == ["routing_key", "event_action", "dedup_key"])
    }

    @Test func summaryStaysWithinPagerDutysLimit() throws {
        let payload = try Self.payload(pagerDuty.encode(GoldenAlerts.overLong, context: GoldenAlerts.context))
        let summary = try #require(payload["summary"] as? String)
        #expect(summary.count <= 1024)
        #expect(summary.hasSuffix(Truncation.marker))
        let details = try #require(payload["custom_details"] as? [String: Any])
        let frames = try #require(details["top_frames"] as? [String])
        #expect(frames.count == 21)
        #expect(frames.last == "and 180 more frames \(Truncation.marker)")
        #expect(try #require(details["why"] as? String).count <= PagerDutyChannel.detailLimit)
    }

    @Test func hostileTextCannotBreakTheOneLineFields() throws {
        let payload = try Self.payload(pagerDuty.encode(GoldenAlerts.hostile, context: GoldenAlerts.context))
        for field in ["summary", "source", "component", "group", "class"] {
            let value = try #require(payload[field] as? String, "\(field)")
            #expect(!value.contains("\r") && !value.contains("\n"), "\(field)")
        }
        #expect(payload["summary"] as? String == "[CRITICAL] checkout/prod  Bcc: x@y: PaymentError: <!channel> @here @everyone [click](https://evil)   Bcc: x@y")
    }

    @Test func rollUpIsOneTriggerKeyedByItsFirstIssue() throws {
        let body = try Self.body(pagerDuty.encode(PagerDutyFixtures.rollUp, context: GoldenAlerts.context))
        #expect(body["event_action"] as? String == "trigger")
        #expect(body["dedup_key"] as? String == "firebell-rollup-42")
        let payload = try #require(body["payload"] as? [String: Any])
        #expect(payload["summary"] as? String == PagerDutyFixtures.rollUp.headline)
        #expect(payload["severity"] as? String == "critical")
        let details = try #require(payload["custom_details"] as? [String: Any])
        #expect(details["alerts"] as? [String] == PagerDutyFixtures.rollUp.lines(baseURL: GoldenAlerts.context.baseURL))

        let resolves = RollUp(alerts: [Self.alert(.resolved), Self.alert(.resolved, issueID: 43)], reason: .digest(3600))
        #expect(try Self.payload(pagerDuty.encode(resolves, context: GoldenAlerts.context))["severity"] as? String == "info")
    }

    // MARK: - Verdict

    static func answer(_ status: Int, _ json: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }

    @Test func acceptedIsAccepted() {
        #expect(pagerDuty.verdict(on: Self.answer(202, #"{"status":"success","message":"Event processed","dedup_key":"firebell-issue-42"}"#)) == .accepted)
    }

    @Test func rateLimitsAndServerErrorsAreRetried() {
        let limited = pagerDuty.verdict(on: Self.answer(429, "", headers: [(name: "Retry-After", value: "30")]))
        #expect(limited == .retryable(reason: "HTTP 429: ", retryAfter: "30"))
        guard case .retryable = pagerDuty.verdict(on: Self.answer(503, "unavailable")) else {
            Testing.Issue.record("503 not retryable")
            return
        }
    }

    @Test func invalidEventsAreRejectedWithPagerDutysMessage() {
        let verdict = pagerDuty.verdict(on: Self.answer(
            400, #"{"status":"invalid event","message":"Event object is invalid","errors":["'routing_key' is missing or blank"]}"#))
        #expect(verdict == .rejected(reason: "HTTP 400: Event object is invalid ('routing_key' is missing or blank)"))
        #expect(pagerDuty.verdict(on: Self.answer(404, "not found")) == .rejected(reason: "HTTP 404: not found"))
    }
}

private enum PagerDutyTestError: Error { case notHTTP }

private enum PagerDutyFixtures {
    /// A channel_rate roll-up of three alerts, one of them hostile.
    static var rollUp: RollUp {
        var minor = GoldenAlerts.ordinary
        minor.kind = .repeat
        minor.issueID = 43
        minor.severity = .minor
        minor.title = "TimeoutError: upstream took 30s"
        return RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile, minor], reason: .channelRate(Rate(count: 20, period: 60)))
    }
}
