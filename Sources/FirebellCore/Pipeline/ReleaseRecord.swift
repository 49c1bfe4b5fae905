import Foundation

/// A release of one project: two projects may name theirs alike.
public struct ReleaseKey: Hashable, Sendable, Comparable {
    public var projectID: Int
    /// As events name it (`release`): "shop@2.0.0".
    public var version: String

    public init(projectID: Int, version: String) {
        self.projectID = projectID
        self.version = version
    }

    public static func < (lhs: ReleaseKey, rhs: ReleaseKey) -> Bool {
        (lhs.projectID, lhs.version) < (rhs.projectID, rhs.version)
    }
}

/// A release as stored (`releases`): what deploy context needs (``DeployWindow``).
public struct ReleaseRecord: Sendable, Equatable {
    /// When its first event was received.
    public var firstSeen: Date
    /// When its latest event was received (retention forgets a release not seen within it).
    public var lastSeen: Date
    /// Issues whose first event carried it.
    public var newIssues: Int

    public init(firstSeen: Date, lastSeen: Date, newIssues: Int = 0) {
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.newIssues = newIssues
    }

    /// The record with `change` merged in, as a store's upsert merges it: the earlier
    /// first sighting, the later last one, the new issues added.
    public func merging(_ change: ReleaseChange) -> ReleaseRecord {
        ReleaseRecord(
            firstSeen: min(firstSeen, change.firstSeen), lastSeen: max(lastSeen, change.lastSeen),
            newIssues: newIssues + change.newIssues)
    }
}

/// What a batch saw of one release, for the store to merge into its row (insert, or
/// keep the earlier `first_seen`, the later `last_seen` and add `new_issues`). A merge
/// rather than a write of the whole row, so batches that several nodes commit at once
/// add up instead of overwriting each other's counts.
public struct ReleaseChange: Sendable, Equatable {
    public var key: ReleaseKey
    /// The batch's earliest event of the release.
    public var firstSeen: Date
    /// The batch's latest event of the release.
    public var lastSeen: Date
    /// New issues the batch's events of the release created.
    public var newIssues: Int

    public init(key: ReleaseKey, firstSeen: Date, lastSeen: Date, newIssues: Int) {
        self.key = key
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.newIssues = newIssues
    }

    /// Both sightings as one (the same release).
    public func adding(_ other: ReleaseChange) -> ReleaseChange {
        ReleaseChange(
            key: key, firstSeen: min(firstSeen, other.firstSeen), lastSeen: max(lastSeen, other.lastSeen),
            newIssues: newIssues + other.newIssues)
    }

    /// The row it inserts when the store has none.
    public var record: ReleaseRecord {
        ReleaseRecord(firstSeen: firstSeen, lastSeen: lastSeen, newIssues: newIssues)
    }
}

extension IngestItem {
    /// The release its event names, if any.
    public var releaseKey: ReleaseKey? {
        guard let release = event.release, !release.isEmpty else { return nil }
        return ReleaseKey(projectID: projectID, version: release)
    }
}
