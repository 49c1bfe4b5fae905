import Foundation

/// `firebell backtest`: stored events replayed, in the order they were received,
/// through the same ``BatchProcessor`` ingest uses, with the config under test, in
/// memory. Nothing is written and nothing is sent; the result says per rule what it
/// matched and per channel what would have gone out.
///
/// Replay starts from nothing: issues are as the replayed events make them, and
/// operators' resolves and mutes in the period are not replayed (an alert they
/// prevented is counted as owed).
public struct Backtest: Sendable {
    private let processor: BatchProcessor
    private let fingerprinter: Fingerprinter
    private let rules: [SeverityRule]
    private let channelRate: Rate?
    private var state = ReplayState()
    private var matched: [Int]
    private var points: [Int]
    private var deliveries: [OwedDelivery] = []
    /// Incidents the replay opened (`alerting.incident_window`).
    private(set) var incidents = 0
    private(set) var events = 0

    public init(config: FirebellConfig) {
        processor = BatchProcessor(config: config)
        fingerprinter = Fingerprinter(rules: config.grouping)
        rules = config.severity.rules
        channelRate = config.alerting.channelRate
        matched = Array(repeating: 0, count: rules.count)
        points = Array(repeating: 0, count: rules.count)
    }

    /// One stored event: its project, the event as stored, and when it was received.
    public struct StoredEvent: Sendable {
        public var projectID: Int
        public var event: Event
        public var receivedAt: Date

        public init(projectID: Int, event: Event, receivedAt: Date) {
            self.projectID = projectID
            self.event = event
            self.receivedAt = receivedAt
        }
    }

    /// Replays the next events (in received order), grouped with this config's rules.
    public mutating func replay(_ stored: [StoredEvent]) {
        let items = stored.map { stored in
            IngestItem(
                projectID: stored.projectID, event: stored.event, fingerprint: fingerprinter.fingerprint(stored.event).hash,
                receivedAt: stored.receivedAt)
        }
        let (change, _) = state.run(items, processor: processor)
        let incidentIDs = state.openedIncidents
        events += items.count
        incidents += incidentIDs.count
        for case .stored(_, _, let score) in change.outcomes {
            // Hits are in rule order; names may repeat, so match them by position.
            var index = 0
            for hit in score.hits {
                while index < rules.count, rules[index].name != hit.name || rules[index].effect != hit.effect { index += 1 }
                guard index < rules.count else { break }
                matched[index] += 1
                if case .add(let added) = hit.effect { points[index] += added }
                index += 1
            }
        }
        // Follow-ups name their incident by its stored id, so one update is one message across batches.
        deliveries += change.deliveries.map { delivery in
            var delivery = delivery
            delivery.incident = delivery.incident.map { incidentIDs[$0] ?? $0 }
            return delivery
        }
    }

    /// What the replay came to, beside what the store says was owed in the same period.
    public func report(since: Date, owed: [OwedAlert]) -> BacktestReport {
        var channels: [String: BacktestReport.Channel] = [:]
        for delivery in deliveries {
            channels[delivery.channel, default: .init(channel: delivery.channel)].would.count(delivery.alert.kind, delivery.alert.severity)
        }
        for (channel, messages) in Self.messages(deliveries, channelRate: channelRate) {
            channels[channel]?.would.messages = messages.total
            channels[channel]?.would.rollUps = messages.rollUps
            channels[channel]?.would.digests = messages.digests
        }
        let pages = Self.pages(deliveries)
        for (channel, count) in pages {
            channels[channel]?.would.pages = count
        }
        for alert in owed {
            channels[alert.channel, default: .init(channel: alert.channel)].did.count(alert.kind, alert.severity)
        }
        return BacktestReport(
            since: since, events: events, issues: state.records.count, incidents: incidents,
            pages: pages.values.reduce(0, +),
            rules: rules.indices.map { index in
                BacktestReport.Rule(name: rules[index].name, events: matched[index], points: points[index], effect: rules[index].effect)
            },
            channels: channels.values.sorted { $0.channel < $1.channel })
    }

    /// Pages per channel: messages that carry critical alerts as they go out, not in a
    /// digest, with the follow-ups of one incident update counted once (before
    /// `channel_rate` roll-ups, which only ever combine more).
    static func pages(_ deliveries: [OwedDelivery]) -> [String: Int] {
        var pages: [String: Int] = [:]
        var updates = Set<String>()
        for delivery in deliveries where delivery.digest == nil && delivery.alert.severity == .critical && delivery.alert.kind != .resolved {
            if let incident = delivery.incident {
                guard updates.insert("\(delivery.channel)\u{1F}\(incident)\u{1F}\(delivery.due.timeIntervalSince1970)").inserted else { continue }
            }
            pages[delivery.channel, default: 0] += 1
        }
        return pages
    }

    /// Messages per channel once `channel_rate` and digests have their way, as the
    /// deliverer sends them: critical alerts first, each alone while a token is left;
    /// minor ones alone only while more than the critical reserve is left. Alerts
    /// without a token queue by class and go out as one roll-up as soon as their class
    /// has a token; a digest route's alerts of one period are one summary.
    static func messages(_ deliveries: [OwedDelivery], channelRate: Rate?) -> [String: (total: Int, rollUps: Int, digests: Int)] {
        var result: [String: (total: Int, rollUps: Int, digests: Int)] = [:]
        var digestPeriods = Set<String>()
        var buckets: [String: TokenBucket] = [:]
        /// Alerts waiting for a roll-up, per channel and class (critical or not).
        var held: [String: [Bool: Int]] = [:]
        var updates = Set<String>()
        for delivery in deliveries.sorted(by: { $0.alert.createdAt < $1.alert.createdAt }) {
            let channel = delivery.channel
            if let incident = delivery.incident, delivery.digest == nil {
                // An incident's follow-ups due together are one update message.
                if updates.insert("\(channel)\u{1F}\(incident)\u{1F}\(delivery.due.timeIntervalSince1970)").inserted {
                    result[channel, default: (0, 0, 0)].total += 1
                }
                continue
            }
            if delivery.digest != nil {
                if digestPeriods.insert("\(channel)\u{1F}\(delivery.due.timeIntervalSince1970)").inserted {
                    result[channel, default: (0, 0, 0)].total += 1
                    result[channel, default: (0, 0, 0)].digests += 1
                }
                continue
            }
            guard let rate = channelRate else {
                result[channel, default: (0, 0, 0)].total += 1
                continue
            }
            let now = delivery.alert.createdAt
            var bucket = buckets[channel] ?? TokenBucket(rate: rate, now: now)
            /// A token for `critical`'s class: minor alerts leave the reserve (`DeliveryPlan`).
            func token(_ critical: Bool) -> Bool {
                bucket.available(now: now) > (critical ? 0 : rate.criticalReserve) && bucket.take(1, now: now)
            }
            for critical in [true, false] {
                // A class's queue went out as one roll-up when its token came, if it has by now.
                if held[channel, default: [:]][critical, default: 0] > 0, token(critical) {
                    result[channel, default: (0, 0, 0)].total += 1
                    result[channel, default: (0, 0, 0)].rollUps += 1
                    held[channel, default: [:]][critical] = 0
                }
                guard (delivery.alert.severity == .critical) == critical else { continue }
                if held[channel, default: [:]][critical, default: 0] == 0, token(critical) {
                    result[channel, default: (0, 0, 0)].total += 1
                } else {
                    held[channel, default: [:]][critical, default: 0] += 1
                }
            }
            buckets[channel] = bucket
        }
        for (channel, classes) in held {
            for count in classes.values where count > 0 {
                result[channel, default: (0, 0, 0)].total += 1
                result[channel, default: (0, 0, 0)].rollUps += 1
            }
        }
        return result
    }
}

/// One alert the store says was owed to a channel (an outbox row).
public struct OwedAlert: Sendable {
    public var channel: String
    public var kind: AlertKind
    public var severity: Severity

    public init(channel: String, kind: AlertKind, severity: Severity) {
        self.channel = channel
        self.kind = kind
        self.severity = severity
    }
}
