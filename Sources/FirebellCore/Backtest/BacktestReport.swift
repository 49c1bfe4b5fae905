import Foundation

/// What `firebell backtest` prints: per rule, what it matched; per channel, what
/// the config under test would have sent next to what was owed at the time.
public struct BacktestReport: Sendable, Encodable {
    public struct Rule: Sendable, Encodable {
        public var name: String
        /// Replayed events the rule matched.
        public var events: Int
        /// Points it added to their scores (0 for a `set` rule).
        public var points: Int
        /// "+60", or "set minor".
        public var effect: String

        init(name: String, events: Int, points: Int, effect: RuleEffect) {
            self.name = name
            self.events = events
            self.points = points
            switch effect {
            case .add(let points): self.effect = points < 0 ? "\(points)" : "+\(points)"
            case .set(let severity): self.effect = "set \(severity.rawValue)"
            }
        }
    }

    /// Alerts owed to one channel, by kind.
    public struct Tally: Sendable, Encodable {
        public var new = 0
        public var regression = 0
        public var escalation = 0
        public var `repeat` = 0
        public var resolved = 0
        /// How many of them were critical.
        public var critical = 0
        /// Messages once `channel_rate` roll-ups and digests combine alerts (replay only).
        public var messages: Int?
        public var rollUps: Int?
        public var digests: Int?
        /// Messages carrying critical alerts, an incident's update counted once (replay only).
        public var pages: Int?

        public var alerts: Int { new + regression + escalation + `repeat` + resolved }

        mutating func count(_ kind: AlertKind, _ severity: Severity) {
            switch kind {
            case .new: new += 1
            case .regression, .flapping: regression += 1
            case .escalation: escalation += 1
            case .repeat: `repeat` += 1
            case .resolved: resolved += 1
            }
            if severity == .critical { critical += 1 }
        }

        enum CodingKeys: String, CodingKey {
            case alerts, new, regression, escalation, `repeat`, resolved, critical, messages
            case rollUps = "roll_ups"
            case digests, pages
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(alerts, forKey: .alerts)
            try container.encode(new, forKey: .new)
            try container.encode(regression, forKey: .regression)
            try container.encode(escalation, forKey: .escalation)
            try container.encode(`repeat`, forKey: .repeat)
            try container.encode(resolved, forKey: .resolved)
            try container.encode(critical, forKey: .critical)
            try container.encodeIfPresent(messages, forKey: .messages)
            try container.encodeIfPresent(rollUps, forKey: .rollUps)
            try container.encodeIfPresent(digests, forKey: .digests)
            try container.encodeIfPresent(pages, forKey: .pages)
        }
    }

    public struct Channel: Sendable, Encodable {
        public var channel: String
        /// With the config under test.
        public var would = Tally(messages: 0, rollUps: 0, digests: 0, pages: 0)
        /// What the outbox holds for the period: what the rules of the time owed.
        public var did = Tally()

        init(channel: String) {
            self.channel = channel
        }
    }

    public var since: Date
    public var events: Int
    /// Issues the replayed events make with the config under test.
    public var issues: Int
    /// Incidents the replay opened (`alerting.incident_window`; 0 when it is 0s).
    public var incidents: Int
    /// Messages with critical alerts the replay would send, over all channels (see `Tally.pages`).
    public var pages: Int
    public var rules: [Rule]
    public var channels: [Channel]

    /// The table for people.
    public var text: String {
        var lines = [
            "replayed \(events) events since \(Self.format(since)) into \(issues) issues; nothing was stored or sent",
            "pages: \(pages) messages with critical alerts, in \(incidents) incident\(incidents == 1 ? "" : "s") (alerting.incident_window)",
            "",
        ]
        let nameWidth = max(4, rules.map(\.name.count).max() ?? 0)
        lines.append(Self.pad("RULE", nameWidth) + "  EFFECT     MATCHED   POINTS")
        for rule in rules {
            lines.append(Self.pad(rule.name, nameWidth) + "  " + Self.pad(rule.effect, 9) + "  "
                + Self.pad(String(rule.events), 8, right: true) + "  " + Self.pad(String(rule.points), 7, right: true))
        }
        if rules.isEmpty { lines.append("(no severity rules)") }
        lines.append("")
        let channelWidth = max(7, channels.map(\.channel.count).max() ?? 0)
        lines.append(Self.pad("CHANNEL", channelWidth) + "  " + "       ALERTS  NEW  REGR  ESC  REPEAT  CRIT  MESSAGES  ROLL-UPS  DIGESTS  PAGES")
        for channel in channels {
            lines.append(Self.pad(channel.channel, channelWidth) + "  would " + row(channel.would))
            lines.append(Self.pad("", channelWidth) + "  did   " + row(channel.did))
        }
        if channels.isEmpty { lines.append("(no alerts, then or now)") }
        lines.append("")
        lines.append("\"did\" is what the outbox holds for the period (resolves included); \"would\" replays with this config.")
        return lines.joined(separator: "\n")
    }

    private func row(_ tally: Tally) -> String {
        [
            Self.pad(String(tally.alerts), 6, right: true), Self.pad(String(tally.new), 4, right: true),
            Self.pad(String(tally.regression), 5, right: true), Self.pad(String(tally.escalation), 4, right: true),
            Self.pad(String(tally.repeat), 7, right: true), Self.pad(String(tally.critical), 5, right: true),
            Self.pad(tally.messages.map(String.init) ?? "-", 9, right: true), Self.pad(tally.rollUps.map(String.init) ?? "-", 9, right: true),
            Self.pad(tally.digests.map(String.init) ?? "-", 8, right: true),
            Self.pad(tally.pages.map(String.init) ?? "-", 6, right: true),
        ].joined(separator: " ")
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    private static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
