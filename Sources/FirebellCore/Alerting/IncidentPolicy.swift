import Foundation

/// Decides whether a page goes out alone or joins the incident already paging on
/// its route (`alerting.incident_window`, `alerting.incident_update`).
///
/// ```
///                critical new / escalation / regression, no open incident on
///                its route: pages at once, exactly as without incidents
///   (none) ─────────────────────────────────────────────────────────► open ◄──┐
///     ▲                                                                 │  │   │ a critical page on the route
///     │   incident_window since the last join with nothing new,         │  └───┘ joins: it goes out in the
///     └───────── or every issue in it resolved (the store, on resolve) ─┘        incident's next follow-up
///                                  ended
/// ```
/// Follow-ups are throttled by due time, not by sending: the first is due
/// `incident_update` after the page, each later one `incident_update` after the
/// previous; a page that joins while one is pending goes out with it, so issues
/// that pile up in a cascade go out together, at most one message per
/// `incident_update`. Pure: time is passed in, and the incident's state is the
/// caller's to load and to commit.
public struct IncidentPolicy: Sendable {
    /// 0: incidents are off, every page goes alone.
    public var window: TimeInterval
    public var update: TimeInterval

    public init(window: TimeInterval, update: TimeInterval) {
        self.window = window
        self.update = update
    }

    public init(_ alerting: AlertingConfig) {
        self.init(window: alerting.incidentWindow, update: alerting.incidentUpdate)
    }

    public var isOn: Bool { window > 0 }

    /// What becomes of one alert.
    public enum Decision: Sendable, Equatable {
        /// Goes out as it would without incidents: not a critical page, or incidents are off.
        case alone
        /// Pages at once and opens `incident`. `ended` is the route's previous incident,
        /// which the quiet window had ended and which is now recorded as ended.
        case opens(Incident, ended: Incident?)
        /// Joins `incident` (as it stands after the join): the alert goes out in the
        /// incident's follow-up due at `due`.
        case joins(Incident, due: Date)
    }

    /// The incident key of an alert that goes to `channels` (its routes' channels without a digest).
    public static func route(for channels: [String]) -> String {
        Set(channels).sorted().joined(separator: ",")
    }

    /// Whether `alert` is a page incidents gather: critical, and news (not a repeat or a resolve).
    public static func gathers(_ alert: Alert) -> Bool {
        alert.severity == .critical && [.new, .escalation, .regression].contains(alert.kind)
    }

    /// Decides `alert`, going to `route`, given the route's open incident (nil: none).
    /// A new incident gets `newID` (the caller's provisional id, see ``Incident/id``).
    public func decide(_ alert: Alert, route: String, open: Incident?, newID: Int64, now: Date) -> Decision {
        guard isOn, !route.isEmpty, Self.gathers(alert) else { return .alone }
        if var incident = open, incident.status(at: now, window: window) == .open {
            let due: Date
            if let pending = incident.lastUpdateDue, pending > now {
                due = pending
            } else {
                due = max(now, (incident.lastUpdateDue ?? incident.openedAt).addingTimeInterval(update))
            }
            incident.lastUpdateDue = due
            incident.lastJoinedAt = now
            incident.issueCount += 1
            return .joins(incident, due: due)
        }
        // The route's previous incident, if still recorded open, ends where its window did.
        var ended = open?.endedAt == nil ? open : nil
        ended?.endedAt = open?.lastJoinedAt.addingTimeInterval(window)
        ended?.endReason = .quiet
        let incident = Incident(id: newID, route: route, openedAt: now, firstPage: alert, lastJoinedAt: now)
        return .opens(incident, ended: ended)
    }
}
