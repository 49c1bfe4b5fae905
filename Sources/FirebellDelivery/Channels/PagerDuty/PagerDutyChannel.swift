import FirebellCore
import FirebellCurl
import Foundation

/// PagerDuty Events API v2 (`routing_key`): one incident per issue.
///
/// Every alert of an issue carries the same `dedup_key` (`firebell-issue-<id>`), so a
/// repeat, escalation or regression updates the open incident instead of opening a
/// second one, and the issue's resolve (`event_action: resolve`) closes it. Retries of
/// one alert send the same key too, which is what makes at-least-once delivery safe here.
///
/// PagerDuty shows the text as plain text (no markup to neutralise); line breaks and
/// other control characters are turned into spaces in the one-line fields (summary,
/// source, component, group, class) so an event cannot lay out a fake incident title.
public struct PagerDutyChannel: ChannelEncoder {
    public static let defaultBaseURL = "https://events.pagerduty.com"
    /// PagerDuty's limit on `payload.summary`.
    static let summaryLimit = 1024
    /// Our cap on the other one-line fields and on each detail value, far inside
    /// PagerDuty's 512 KB per event.
    static let fieldLimit = 1024
    static let detailLimit = 4000
    /// Frames beyond these are counted, not listed.
    static let framesListed = 20
    static let frameLimit = 500

    public var routingKey: String
    public var baseURL: String
    public var timeout: TimeInterval

    /// `baseURL` overrides `https://events.pagerduty.com` (the config's optional `url`).
    public init(routingKey: String, baseURL: String? = nil, timeout: TimeInterval = ChannelConfig.defaultTimeout) {
        self.routingKey = routingKey
        self.baseURL = baseURL ?? Self.defaultBaseURL
        self.timeout = timeout
    }

    /// The incident key of an issue: the same for every alert of it.
    static func dedupKey(issueID: Int64) -> String {
        "firebell-issue-\(issueID)"
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        let dedupKey = Self.dedupKey(issueID: alert.issueID)
        if alert.kind == .resolved {
            // A resolve needs only the key.
            return try post(PagerDutyEvent(routingKey: routingKey, eventAction: "resolve", dedupKey: dedupKey))
        }
        var details: [String: PagerDutyDetail] = [
            "what_happened": .text(text.whatHappened),
            "why": .text(Self.detail(alert.explanation)),
            "score": .number(alert.score),
            "events": .number(alert.count),
            "users": .number(alert.userCount),
            "first_seen": .text(Timestamps.format(alert.firstSeen)),
            "last_seen": .text(Timestamps.format(alert.lastSeen)),
            "level": .text(alert.level.rawValue),
            "issue_id": .number(Int(alert.issueID)),
        ]
        if alert.kind == .repeat { details["events_since_last_alert"] = .number(alert.eventsSinceLastAlert) }
        if let release = alert.release { details["release"] = .text(Self.detail(release)) }
        if let deploy = text.deployLine { details["deploy"] = .text(Self.detail(deploy)) }
        if let culprit = alert.culprit { details["culprit"] = .text(Self.detail(culprit)) }
        if !alert.topFrames.isEmpty { details["top_frames"] = .list(Self.frames(alert.topFrames)) }
        let payload = PagerDutyEvent.Payload(
            summary: Truncation.cut(Self.oneLine(text.headline), to: Self.summaryLimit),
            source: Truncation.cut(Self.oneLine(text.scope), to: Self.fieldLimit),
            severity: Self.severity(alert.severity),
            timestamp: Timestamps.format(alert.createdAt),
            component: alert.culprit.map { Truncation.cut(Self.oneLine($0), to: Self.fieldLimit) },
            group: Truncation.cut(Self.oneLine(alert.projectName), to: Self.fieldLimit),
            class: alert.level.rawValue,
            customDetails: details)
        return try post(PagerDutyEvent(
            routingKey: routingKey, eventAction: "trigger", dedupKey: dedupKey, payload: payload,
            links: [.init(href: text.link, text: "Issue #\(alert.issueID) in Firebell")] + text.links.map { .init(href: $0.url, text: $0.title) },
            client: "Firebell", clientURL: text.link))
    }

    /// A roll-up is one trigger of its own (the Events API takes one event per request):
    /// keyed by its first issue, with every line in the details. It does not touch the
    /// issues' own incidents. An incident's update is keyed by the first page's issue
    /// instead: it lands on the PagerDuty incident that page opened, which pages nobody again.
    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let scopes = rollUp.alerts.map { AlertText($0, baseURL: context.baseURL).scope }
        var distinct: [String] = []
        for scope in scopes where !distinct.contains(scope) { distinct.append(scope) }
        let allResolved = !rollUp.alerts.isEmpty && rollUp.alerts.allSatisfy { $0.kind == .resolved }
        let payload = PagerDutyEvent.Payload(
            summary: Truncation.cut(Self.oneLine(rollUp.headline), to: Self.summaryLimit),
            source: Truncation.cut(Self.oneLine(distinct.isEmpty ? "firebell" : distinct.joined(separator: ", ")), to: Self.fieldLimit),
            // Only resolves in it: nothing to wake anyone for.
            severity: allResolved ? "info" : Self.severity(rollUp.severity),
            timestamp: Timestamps.format(context.now),
            component: nil, group: nil, class: "rollup",
            customDetails: ["alerts": .list(rollUp.lines(baseURL: context.baseURL).map(Self.detail))])
        let firstID = rollUp.alerts.first?.issueID ?? 0
        let key = rollUp.incident?.firstPage.map { Self.dedupKey(issueID: $0.issueID) } ?? "firebell-rollup-\(firstID)"
        return try post(PagerDutyEvent(
            routingKey: routingKey, eventAction: "trigger", dedupKey: key, payload: payload,
            client: "Firebell"))
    }

    /// 2xx accepted (PagerDuty answers 202); 429 and 5xx retried; a 400 is rejected
    /// with PagerDuty's `message` and `errors`.
    public func verdict(on response: HTTPResponse) -> ReceiverVerdict {
        let verdict = HTTPVerdict.standard(response)
        guard case .rejected = verdict,
              let answer = try? JSONDecoder().decode(PagerDutyAnswer.self, from: Data(response.body))
        else { return verdict }
        var reason = "HTTP \(response.status): \(answer.message ?? answer.status ?? "rejected")"
        if let errors = answer.errors, !errors.isEmpty { reason += " (\(errors.joined(separator: "; ").prefix(400)))" }
        return .rejected(reason: reason)
    }

    static func severity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "critical"
        case .minor: "warning"
        }
    }

    /// Control characters (CR, LF, tab…) become spaces.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : Character($0) })
    }

    static func detail(_ text: String) -> String {
        Truncation.cut(text, to: detailLimit)
    }

    static func frames(_ frames: [String]) -> [String] {
        var listed = frames.prefix(framesListed).map { Truncation.cut($0, to: frameLimit) }
        if frames.count > framesListed { listed.append("and \(frames.count - framesListed) more frames \(Truncation.marker)") }
        return listed
    }

    private func post(_ event: PagerDutyEvent) throws -> ChannelMessage {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return .http(HTTPRequest(
            method: "POST", url: "\(base)/v2/enqueue",
            headers: [(name: "Content-Type", value: "application/json")],
            body: try ChannelJSON.encode(event), timeout: timeout))
    }
}

/// An Events API v2 event.
struct PagerDutyEvent: Encodable {
    var routingKey: String
    var eventAction: String
    var dedupKey: String
    var payload: Payload? = nil
    var links: [Link]? = nil
    var client: String? = nil
    var clientURL: String? = nil

    struct Payload: Encodable {
        var summary: String
        var source: String
        var severity: String
        var timestamp: String
        var component: String?
        var group: String?
        var `class`: String?
        var customDetails: [String: PagerDutyDetail]

        private enum CodingKeys: String, CodingKey {
            case summary, source, severity, timestamp, component, group, `class`, customDetails = "custom_details"
        }
    }

    struct Link: Encodable {
        var href: String
        var text: String
    }

    private enum CodingKeys: String, CodingKey {
        case routingKey = "routing_key", eventAction = "event_action", dedupKey = "dedup_key", payload, links, client
        case clientURL = "client_url"
    }
}

/// A value in `custom_details`.
enum PagerDutyDetail: Encodable {
    case text(String)
    case number(Int)
    case list([String])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let text): try c.encode(text)
        case .number(let number): try c.encode(number)
        case .list(let list): try c.encode(list)
        }
    }
}

/// `{"status": "invalid event", "message": "Event object is invalid", "errors": ["…"]}`
struct PagerDutyAnswer: Decodable {
    var status: String?
    var message: String?
    var errors: [String]?
}
