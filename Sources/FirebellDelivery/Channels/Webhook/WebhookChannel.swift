import FirebellCore
import FirebellCurl
import FirebellSignatures
import Foundation

/// Generic JSON webhook. With `secret`, signed per Standard Webhooks
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so the receiver can
/// verify it came from Firebell and drop replays; `webhook-id` stays the same
/// across retries of one alert, so the receiver can also drop duplicates.
public struct WebhookChannel: ChannelEncoder {
    public var url: String
    public var secret: String?
    public var timeout: TimeInterval

    public init(url: String, secret: String?, timeout: TimeInterval) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL)
        let payload = WebhookPayload(
            type: "issue.\(alert.kind.rawValue)",
            timestamp: Timestamps.format(context.now),
            data: WebhookPayload.Data(alert: alert, headline: text.headline, summary: text.whatHappened, link: text.link, deploy: text.deployLine))
        return signed(try ChannelJSON.encode(payload), context: context)
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let payload = WebhookRollUpPayload(
            type: "issue.rollup", timestamp: Timestamps.format(context.now),
            data: WebhookRollUpPayload.Data(
                headline: rollUp.headline,
                reason: {
                    switch rollUp.reason {
                    case .channelRate: "channel_rate"
                    case .digest: "digest"
                    case .incident: "incident"
                    }
                }(),
                alerts: rollUp.alerts.map { alert in
                    let text = AlertText(alert, baseURL: context.baseURL)
                    return WebhookPayload.Data(alert: alert, headline: text.headline, summary: text.whatHappened, link: text.link, deploy: text.deployLine)
                }))
        return signed(try ChannelJSON.encode(payload), context: context)
    }

    /// A `template` replaces the body, so the signature is made again over what is
    /// sent: a signature over the body the template replaced fails at every receiver.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .http(let request) = message,
              let id = request.headers.first(where: { $0.name == "webhook-id" })?.value,
              let timestamp = request.headers.first(where: { $0.name == "webhook-timestamp" }).flatMap({ Int($0.value) })
        else { return ChannelTemplate.apply(rendered, to: message) }
        return signed(Array(rendered.utf8), id: id, timestamp: timestamp)
    }

    private func signed(_ body: [UInt8], context: DeliveryContext) -> ChannelMessage {
        signed(body, id: context.idempotencyKey, timestamp: Int(context.now.timeIntervalSince1970))
    }

    /// The request with `body` as sent, and with `secret` its signature over exactly that body.
    private func signed(_ body: [UInt8], id: String, timestamp: Int) -> ChannelMessage {
        var headers: [(name: String, value: String)] = [
            (name: "Content-Type", value: "application/json"),
            (name: "webhook-id", value: id),
            (name: "webhook-timestamp", value: String(timestamp)),
        ]
        if let secret, !secret.isEmpty {
            let signature = StandardWebhooks.signature(secret: secret, id: id, timestamp: timestamp, body: body)
            headers.append((name: "webhook-signature", value: signature))
        }
        return .http(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: timeout))
    }
}

/// Several alerts in one webhook: `{type: "issue.rollup", timestamp, data: {headline, reason, alerts: [...]}}`.
struct WebhookRollUpPayload: Encodable {
    var type: String
    var timestamp: String
    var data: Data

    struct Data: Encodable {
        var headline: String
        var reason: String
        var alerts: [WebhookPayload.Data]
    }
}

/// The JSON a webhook receiver gets: `{type, timestamp, data}` as Standard Webhooks suggests.
struct WebhookPayload: Encodable {
    var type: String
    var timestamp: String
    var data: Data

    struct Data: Encodable {
        var alert: Alert
        var headline: String
        var summary: String
        var link: String
        /// ``AlertText/deployLine``.
        var deploy: String?

        private enum CodingKeys: String, CodingKey {
            case kind, issueID = "issue_id", project, projectID = "project_id", severity, title, culprit, level
            case environment, release, score, explanation, count, eventsSinceLastAlert = "events_since_last_alert"
            case userCount = "user_count", firstSeen = "first_seen", lastSeen = "last_seen", topFrames = "top_frames"
            case headline, summary, link, links, deploy
        }

        /// `{release, first_seen, new_issues, summary}`.
        private struct Deploy: Encodable {
            var release: String
            var firstSeen: String
            var newIssues: Int
            var summary: String

            private enum CodingKeys: String, CodingKey {
                case release, firstSeen = "first_seen", newIssues = "new_issues", summary
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(alert.kind.rawValue, forKey: .kind)
            try c.encode(alert.issueID, forKey: .issueID)
            try c.encode(alert.projectName, forKey: .project)
            try c.encode(alert.projectID, forKey: .projectID)
            try c.encode(alert.severity.rawValue, forKey: .severity)
            try c.encode(alert.title, forKey: .title)
            try c.encodeIfPresent(alert.culprit, forKey: .culprit)
            try c.encode(alert.level.rawValue, forKey: .level)
            try c.encodeIfPresent(alert.environment, forKey: .environment)
            try c.encodeIfPresent(alert.release, forKey: .release)
            try c.encode(alert.score, forKey: .score)
            try c.encode(alert.explanation, forKey: .explanation)
            try c.encode(alert.count, forKey: .count)
            try c.encode(alert.eventsSinceLastAlert, forKey: .eventsSinceLastAlert)
            try c.encode(alert.userCount, forKey: .userCount)
            try c.encode(Timestamps.format(alert.firstSeen), forKey: .firstSeen)
            try c.encode(Timestamps.format(alert.lastSeen), forKey: .lastSeen)
            try c.encode(alert.topFrames, forKey: .topFrames)
            try c.encode(headline, forKey: .headline)
            try c.encode(summary, forKey: .summary)
            try c.encode(link, forKey: .link)
            // The issue's own links (an Alertmanager alert's source, a trace): `[{title, url}]`.
            try c.encode(alert.links ?? [], forKey: .links)
            // A fresh release's context (`alerting.deploy_window`), when the alert carries one.
            if let context = alert.deploy, let summary = deploy {
                try c.encode(
                    Deploy(release: context.release, firstSeen: Timestamps.format(context.firstSeen), newIssues: context.newIssues, summary: summary),
                    forKey: .deploy)
            }
        }
    }
}
