import Foundation

/// Issues, stored event ids and issue users kept in dictionaries, fed batch by batch
/// through a ``BatchProcessor``: the state `firebell backtest` replays history in,
/// and the in-memory store's. It does what a store does with a batch, and no more:
/// load the snapshot for the processor's keys, commit the change, number new issues.
public struct ReplayState: Sendable {
    public private(set) var records: [IssueKey: IssueRecord] = [:]
    private var keysByID: [Int64: IssueKey] = [:]
    /// Stored event ids, with when each was received (for pruning).
    private var events: [EventKey: Date] = [:]
    private var users: Set<IssueUser> = []
    public private(set) var releases: [ReleaseKey: ReleaseRecord] = [:]
    private var nextIssueID: Int64 = 1
    public private(set) var incidents: [Int64: Incident] = [:]
    private var incidentMembers: [Int64: [IncidentMember]] = [:]
    private var nextIncidentID: Int64 = 1

    public init() {}

    /// The ids the latest ``run(_:processor:)`` gave the incidents it opened, by their provisional ids.
    public private(set) var openedIncidents: [Int64: Int64] = [:]

    /// Decides `items` with `processor` and commits the change; returns it with the ids
    /// of its issues (and keeps those of its new incidents in ``openedIncidents``).
    public mutating func run(_ items: [IngestItem], processor: BatchProcessor) -> (change: BatchChange, ids: [IssueKey: Int64]) {
        let change = processor.process(items, snapshot: snapshot(for: processor.request(for: items)))
        let ids = commit(change)
        openedIncidents = commitIncidents(change, ids: ids)
        return (change, ids)
    }

    public func snapshot(for request: SnapshotRequest) -> BatchSnapshot {
        BatchSnapshot(
            knownEvents: Set(request.events.filter { events[$0] != nil }),
            issues: Dictionary(uniqueKeysWithValues: request.issues.compactMap { key in records[key].map { (key, $0) } }),
            knownUsers: Set(request.users.filter(users.contains)),
            releases: Dictionary(uniqueKeysWithValues: request.releases.compactMap { key in releases[key].map { (key, $0) } }),
            incidents: request.openIncidents
                ? Dictionary(incidents.values.filter { $0.endedAt == nil }.map { ($0.route, $0) }, uniquingKeysWith: { $0.id > $1.id ? $0 : $1 })
                : [:])
    }

    /// Writes the change's incidents in (new ones get the next ids); returns the ids
    /// of the ones it opened, by their provisional ids.
    private mutating func commitIncidents(_ change: BatchChange, ids: [IssueKey: Int64]) -> [Int64: Int64] {
        var incidentIDs: [Int64: Int64] = [:]
        for var incident in change.incidentsNumbered(ids) {
            if incident.id < 0 {
                incidentIDs[incident.id] = nextIncidentID
                incident.id = nextIncidentID
                nextIncidentID += 1
            }
            incidents[incident.id] = incident
        }
        for member in change.membersNumbered(ids, incidentIDs: incidentIDs) {
            incidentMembers[member.incident, default: []].append(member)
        }
        return incidentIDs
    }

    /// Ends (as resolved) every incident not yet ended that holds issue `id` and whose
    /// issues are now all resolved.
    public mutating func endIncidents(resolving id: Int64, at now: Date) {
        for (incidentID, members) in incidentMembers where members.contains(where: { $0.issueID == id }) {
            guard incidents[incidentID]?.endedAt == nil,
                  members.allSatisfy({ issue(id: $0.issueID)?.status == .resolved })
            else { continue }
            incidents[incidentID]?.endedAt = now
            incidents[incidentID]?.endReason = .resolved
        }
    }

    public func incidents(_ query: IncidentQuery) -> [Incident] {
        Array(incidents.values.filter(query.matches).sorted { $0.id > $1.id }.prefix(query.limit))
    }

    public func incident(id: Int64) -> IncidentDetail? {
        incidents[id].map { IncidentDetail(incident: $0, members: incidentMembers[id] ?? []) }
    }

    /// Writes the change in; new issues get the next ids.
    public mutating func commit(_ change: BatchChange) -> [IssueKey: Int64] {
        var ids: [IssueKey: Int64] = [:]
        for var record in change.issues {
            let key = record.issue.key
            if let existing = records[key] {
                record.issue.id = existing.issue.id
            } else {
                record.issue.id = nextIssueID
                nextIssueID += 1
                keysByID[record.issue.id] = key
            }
            records[key] = record
            ids[key] = record.issue.id
        }
        for (item, _) in change.events { events[item.eventKey] = item.receivedAt }
        users.formUnion(change.users)
        for release in change.releases {
            releases[release.key] = releases[release.key]?.merging(release) ?? release.record
        }
        return ids
    }

    public func issue(id: Int64) -> Issue? {
        keysByID[id].flatMap { records[$0]?.issue }
    }

    /// Changes one issue in place (triage); nil if there is none.
    public mutating func update(id: Int64, _ change: (inout Issue) -> Void) -> Issue? {
        guard let key = keysByID[id], var record = records[key] else { return nil }
        change(&record.issue)
        records[key] = record
        return record.issue
    }

    /// Forgets the ids of at most `limit` events received before `cutoff`, oldest
    /// first; returns how many.
    public mutating func pruneEvents(before cutoff: Date, limit: Int = .max) -> Int {
        let old = events.filter { $0.value < cutoff }.sorted { $0.value < $1.value }.prefix(limit)
        for (key, _) in old { events[key] = nil }
        return old.count
    }

    /// Forgets at most `limit` releases last seen before `cutoff`; returns how many.
    public mutating func forgetReleases(lastSeenBefore cutoff: Date, limit: Int) -> Int {
        let old = releases.filter { $0.value.lastSeen < cutoff }.keys.sorted().prefix(limit)
        for key in old { releases[key] = nil }
        return old.count
    }

    /// Forgets at most `limit` remembered users of `issues`; returns how many.
    public mutating func forgetUsers(of issues: Set<IssueKey>, limit: Int) -> Int {
        let gone = users.filter { issues.contains($0.issue) }.prefix(limit)
        users.subtract(gone)
        return gone.count
    }
}
