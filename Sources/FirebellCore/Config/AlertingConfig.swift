import Foundation

/// The `alerting:` section: how often an issue and a channel may speak.
public struct AlertingConfig: Sendable, Equatable {
    /// An ongoing issue alerts again at most this often (event-driven).
    public var repeatAfter: TimeInterval
    /// Per-channel token bucket; past it alerts collapse into a roll-up. `nil` means unlimited.
    public var channelRate: Rate?
    /// When an issue that keeps coming back stops paging (`alerting.flapping`).
    public var flapping: Flapping
    /// Critical pages on one route within this of an open incident join it instead of
    /// paging alone (`alerting.incident_window`); 0 turns incidents off.
    public var incidentWindow: TimeInterval
    /// An incident's follow-ups go out at most this often (`alerting.incident_update`).
    public var incidentUpdate: TimeInterval

    public static let defaultIncidentWindow: TimeInterval = 60
    public static let defaultIncidentUpdate: TimeInterval = 10
    /// A new issue or regression whose release was first seen within this says so
    /// ("7 new issues since shop@2.0.0 (first seen 4 min ago)"); 0 turns it off.
    public var deployWindow: TimeInterval

    public static let defaultRepeatAfter: TimeInterval = 3600
    public static let defaultDeployWindow: TimeInterval = 1800

    /// An issue that regresses more than `max` times within `window` is flapping: one
    /// message says so, and its regressions page again only after a window without one.
    public struct Flapping: Sendable, Equatable {
        public var max: Int
        public var window: TimeInterval

        public static let `default` = Flapping(max: 3, window: 3600)

        public init(max: Int, window: TimeInterval) {
            self.max = max
            self.window = window
        }
    }

    public init(
        repeatAfter: TimeInterval = AlertingConfig.defaultRepeatAfter, channelRate: Rate? = nil,
        flapping: Flapping = .default, incidentWindow: TimeInterval = AlertingConfig.defaultIncidentWindow,
        incidentUpdate: TimeInterval = AlertingConfig.defaultIncidentUpdate, deployWindow: TimeInterval = AlertingConfig.defaultDeployWindow
    ) {
        self.repeatAfter = repeatAfter
        self.channelRate = channelRate
        self.flapping = flapping
        self.incidentWindow = incidentWindow
        self.incidentUpdate = incidentUpdate
        self.deployWindow = deployWindow
    }
}
