import Foundation

/// The words of an alert, shared by every channel; each channel adds its own markup and escaping.
public struct AlertText: Sendable {
    public var alert: Alert
    /// `server.base_url`, for the link to the issue.
    public var baseURL: String

    public init(_ alert: Alert, baseURL: String) {
        self.alert = alert
        self.baseURL = baseURL
    }

    /// "CRITICAL" or "minor" (or "resolved"), as in the email subject of DESIGN §3.
    public var severityLabel: String {
        if alert.kind == .resolved { return "resolved" }
        return alert.severity == .critical ? "CRITICAL" : "minor"
    }

    /// "checkout/production"
    public var scope: String {
        "\(alert.projectName)/\(alert.environment ?? "no environment")"
    }

    /// "[CRITICAL] checkout/production: PaymentError: card declined"
    public var headline: String {
        "[\(severityLabel)] \(scope): \(alert.title)"
    }

    /// What happened to the issue, in words.
    public var whatHappened: String {
        switch alert.kind {
        case .new: "New issue"
        case .regression: "Regression: the issue came back after it was resolved"
        case .escalation: "Escalated to critical"
        case .repeat: "Still happening: \(alert.eventsSinceLastAlert) more event\(alert.eventsSinceLastAlert == 1 ? "" : "s") since the last alert"
        case .resolved: "Resolved"
        case .flapping: "Flapping: the issue keeps coming back after it is resolved; its regressions stay quiet until it stays away"
        }
    }

    /// "7 new issues since shop@2.0.0 (first seen 4 min ago)", shown as one line right
    /// after ``whatHappened``; nil when the alert carries no deploy context, and for a
    /// resolve (it says what ended, not what started it). The release in it comes from
    /// events: channels escape the line as untrusted text.
    public var deployLine: String? {
        guard alert.kind != .resolved, let deploy = alert.deploy else { return nil }
        return deploy.summary(at: alert.createdAt)
    }

    /// The link to the issue in Firebell's API.
    public var link: String {
        Self.link(baseURL: baseURL, issueID: alert.issueID)
    }

    /// `<base_url>/v1/issues/<id>`, for alerts and the admin API alike.
    public static func link(baseURL: String, issueID: Int64) -> String {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return "\(base)/v1/issues/\(issueID)"
    }

    /// The issue's own links (an Alertmanager alert's source, a trace), shown after the
    /// facts and before the link to the issue. Their URLs are safe inside any markup
    /// (`AlertLink`), but still come from events: channels escape them as URLs.
    public var links: [AlertLink] {
        alert.links ?? []
    }

    /// Labelled facts in display order; values are untrusted where they come from events.
    public var facts: [(label: String, value: String)] {
        var facts: [(String, String)] = [
            ("Why", alert.explanation),
            ("Events", "\(alert.count)"),
            ("Users", "\(alert.userCount)"),
            ("First seen", Timestamps.format(alert.firstSeen)),
            ("Last seen", Timestamps.format(alert.lastSeen)),
        ]
        if let release = alert.release { facts.append(("Release", release)) }
        if let culprit = alert.culprit { facts.append(("Culprit", culprit)) }
        return facts
    }

    /// Plain text, for the console and as the fallback text of rich messages.
    public var plain: String {
        var lines = [headline, whatHappened]
        if let deployLine { lines.append(deployLine) }
        lines += facts.map { "\($0.label): \($0.value)" }
        if !alert.topFrames.isEmpty {
            lines.append("Top frames:")
            lines += alert.topFrames.map { "  \($0)" }
        }
        lines += links.map { "\($0.title): \($0.url)" }
        lines.append(link)
        return lines.joined(separator: "\n")
    }
}
