import Foundation

/// The whole of `config/firebell.yaml`, validated.
///
/// Produced only by ``ConfigLoader`` (or built directly in tests); every
/// reference inside it has been checked, so a route never names a missing
/// channel and every regex is already compiled.
public struct FirebellConfig: Sendable {
    public var server: ServerConfig
    public var storage: StorageConfig
    public var projects: [ProjectConfig]
    /// Fingerprint rules; the first whose `when` holds decides the fingerprint.
    public var grouping: [GroupingRule]
    public var severity: SeverityConfig
    /// In file order, so summaries and `check-config` list them as written.
    public var channels: [ChannelConfig]
    public var routes: [Route]
    public var alerting: AlertingConfig
    /// Links of OpenTelemetry events (`otlp.trace_url`).
    public var otlp: OTLPConfig
    /// The file this was loaded from, for messages and reloads.
    public var sourcePath: String

    public init(
        server: ServerConfig = ServerConfig(),
        storage: StorageConfig = StorageConfig(),
        projects: [ProjectConfig] = [],
        grouping: [GroupingRule] = [],
        severity: SeverityConfig = SeverityConfig(),
        channels: [ChannelConfig] = [],
        routes: [Route] = [],
        alerting: AlertingConfig = AlertingConfig(),
        otlp: OTLPConfig = OTLPConfig(),
        sourcePath: String = ""
    ) {
        self.server = server
        self.storage = storage
        self.projects = projects
        self.grouping = grouping
        self.severity = severity
        self.channels = channels
        self.routes = routes
        self.alerting = alerting
        self.otlp = otlp
        self.sourcePath = sourcePath
    }

    /// The channel with this name, if the config defines one.
    public func channel(named name: String) -> ChannelConfig? {
        channels.first { $0.name == name }
    }

    /// The project with this id (the number in a Sentry DSN), if configured.
    public func project(id: Int) -> ProjectConfig? {
        projects.first { $0.id == id }
    }

    /// Every `events_in` window the severity rules use, so the store can
    /// precompute exactly those counts for ``RuleContext/eventsInWindow``.
    public var eventWindows: Set<TimeInterval> {
        Set(severity.rules.flatMap { $0.when.eventWindows })
    }

    /// Every `users_in` window the severity rules use, for ``RuleContext/usersInWindow``.
    public var userWindows: Set<TimeInterval> {
        Set(severity.rules.flatMap { $0.when.userWindows })
    }
}
