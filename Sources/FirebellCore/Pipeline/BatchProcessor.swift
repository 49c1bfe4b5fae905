import Foundation

/// Group → score → decide → route for a whole batch: the pure middle of the pipeline.
///
/// The store's part is to load a ``BatchSnapshot`` for ``request(for:)`` and commit
/// the ``BatchChange`` that ``process(_:snapshot:)`` returns, both in one transaction,
/// so what is decided and what is written cannot drift apart. Ingest and
/// `firebell backtest` use the same processor: the same events and config make the
/// same decisions.
///
/// Each event is decided in order with the state the events before it left, so
/// splitting a stream of events into batches differently changes nothing. A batch
/// costs time linear in its length: an issue's windows are bounded by the config
/// (``WindowLimits``), never by its history. No I/O, no clock: an event's time is
/// when it was received.
public struct BatchProcessor: Sendable {
    public let issues: IssueProcessor
    public let limits: WindowLimits
    /// Which alerts say "N new issues since <release>" (`alerting.deploy_window`).
    public let deploy: DeployWindow
    public let incidents: IncidentPolicy

    public init(config: FirebellConfig) {
        issues = IssueProcessor(config: config)
        limits = WindowLimits(config.severity)
        incidents = IncidentPolicy(config.alerting)
        deploy = DeployWindow(config.alerting.deployWindow)
    }

    /// The keys whose stored state decides `items`.
    public func request(for items: [IngestItem]) -> SnapshotRequest {
        var request = SnapshotRequest(openIncidents: incidents.isOn)
        var events = Set<EventKey>()
        var issues = Set<IssueKey>()
        var users = Set<IssueUser>()
        var releases = Set<ReleaseKey>()
        for item in items {
            let key = item.issueKey
            if events.insert(item.eventKey).inserted { request.events.append(item.eventKey) }
            if issues.insert(key).inserted { request.issues.append(key) }
            if let user = item.event.userKey {
                let pair = IssueUser(issue: key, user: user)
                if users.insert(pair).inserted { request.users.append(pair) }
            }
            if let release = item.releaseKey, releases.insert(release).inserted { request.releases.append(release) }
        }
        return request
    }

    /// Decides every event of the batch in order.
    public func process(_ items: [IngestItem], snapshot: BatchSnapshot) -> BatchChange {
        var change = BatchChange()
        var records = snapshot.issues
        var knownUsers = snapshot.knownUsers
        var ledger = IncidentLedger(open: snapshot.incidents)
        // Each release as the store knew it with the batch's events so far merged in,
        // and what the batch adds to it.
        var releases = snapshot.releases
        var releaseChanges: [ReleaseKey: ReleaseChange] = [:]
        var seen = Set<EventKey>()
        // The issues the batch changes, in the order it first touches them.
        var order: [IssueKey] = []
        var touched = Set<IssueKey>()
        for item in items {
            let eventKey = item.eventKey
            guard !snapshot.knownEvents.contains(eventKey), seen.insert(eventKey).inserted else {
                change.outcomes.append(.duplicate)
                continue
            }
            let key = item.issueKey
            let existing = records[key]
            if touched.insert(key).inserted { order.append(key) }
            var windows = existing?.windows ?? IssueWindows()
            windows.record(at: item.receivedAt, user: item.event.userKey, limits: limits)

            var userCount = existing?.issue.userCount ?? 0
            if let user = item.event.userKey, knownUsers.insert(IssueUser(issue: key, user: user)).inserted {
                userCount += 1
                change.users.append(IssueUser(issue: key, user: user))
            }
            let decision = issues.process(
                item.event, fingerprint: item.fingerprint, projectID: item.projectID, existing: existing?.issue,
                stats: stats(windows, at: item.receivedAt, userCount: userCount), now: item.receivedAt)
            records[key] = IssueRecord(issue: decision.issue, windows: windows)
            change.events.append((item, key))
            var alert = decision.alert
            if let release = item.releaseKey {
                // A new issue counts for the release its first event names.
                let sighting = ReleaseChange(
                    key: release, firstSeen: item.receivedAt, lastSeen: item.receivedAt, newIssues: existing == nil ? 1 : 0)
                let record = releases[release]?.merging(sighting) ?? sighting.record
                releases[release] = record
                releaseChanges[release] = releaseChanges[release]?.adding(sighting) ?? sighting
                if let kind = alert?.kind {
                    alert?.deploy = deploy.context(for: kind, release: release.version, record: record, at: item.receivedAt)
                }
            }
            if let alert {
                let paging = decision.routes.filter { $0.digest == nil }.map(\.channel)
                let followUp = ledger.decide(alert, issue: key, route: IncidentPolicy.route(for: paging), policy: incidents)
                for route in decision.routes {
                    let digestDue = route.digest.map { RollUp.digestDue(after: alert.createdAt, period: $0) }
                    change.deliveries.append(OwedDelivery(
                        issue: key, channel: route.channel, alert: alert,
                        due: digestDue ?? followUp?.due ?? alert.createdAt, digest: route.digest,
                        incident: route.digest == nil ? followUp?.incident : nil))
                }
            }
            change.outcomes.append(.stored(issue: key, alert: alert?.kind, score: decision.score))
        }
        change.issues = order.compactMap { records[$0] }
        change.releases = releaseChanges.values.sorted { $0.key < $1.key }
        change.incidents = ledger.changed
        change.incidentMembers = ledger.members
        return change
    }

    private func stats(_ windows: IssueWindows, at now: Date, userCount: Int) -> IssueStats {
        var events: [TimeInterval: Int] = [:]
        for window in limits.eventWindows {
            events[window] = windows.events(in: window, at: now, cap: limits.events)
        }
        var users: [TimeInterval: Int] = [:]
        for window in limits.userWindows {
            users[window] = windows.users(in: window, at: now, cap: limits.users)
        }
        return IssueStats(eventsInWindow: events, usersInWindow: users, userCount: userCount)
    }
}

/// The batch's incidents as its pages open, join and end them (``IncidentPolicy``),
/// and what changed, for the ``BatchChange``.
private struct IncidentLedger {
    /// By route: at most one incident per route is not ended.
    var open: [String: Incident]
    private(set) var members: [IncidentMember] = []
    private var order: [Int64] = []
    private var latest: [Int64: Incident] = [:]
    private var nextID: Int64 = -1

    init(open: [String: Incident]) {
        self.open = open
    }

    var changed: [Incident] { order.compactMap { latest[$0] } }

    /// Returns the incident and due time of the follow-up the alert's deliveries become, if it joined one.
    mutating func decide(_ alert: Alert, issue: IssueKey, route: String, policy: IncidentPolicy) -> (incident: Int64, due: Date)? {
        switch policy.decide(alert, route: route, open: open[route], newID: nextID, now: alert.createdAt) {
        case .alone:
            return nil
        case .opens(let incident, let ended):
            if let ended { note(ended) }
            nextID -= 1
            open[route] = incident
            note(incident)
            members.append(IncidentMember(incident: incident.id, issue: issue, kind: alert.kind, at: alert.createdAt, joined: false))
            return nil
        case .joins(let incident, let due):
            open[route] = incident
            note(incident)
            members.append(IncidentMember(incident: incident.id, issue: issue, kind: alert.kind, at: alert.createdAt, joined: true))
            return (incident.id, due)
        }
    }

    private mutating func note(_ incident: Incident) {
        if latest.updateValue(incident, forKey: incident.id) == nil { order.append(incident.id) }
    }
}
