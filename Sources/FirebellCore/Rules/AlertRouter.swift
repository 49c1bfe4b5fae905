import Foundation

/// One channel an alert goes to, and whether it waits for a digest.
public struct RouteDecision: Sendable, Equatable {
    public var channel: String
    /// From the first matching route that named this channel.
    public var digest: TimeInterval?

    public init(channel: String, digest: TimeInterval? = nil) {
        self.channel = channel
        self.digest = digest
    }
}

/// Applies `routes:`: every matching route contributes its channels; a
/// channel appears once, with the digest of the first route that named it.
public struct AlertRouter: Sendable {
    /// In config order; order decides which digest a shared channel gets.
    public let routes: [Route]

    public init(routes: [Route]) {
        self.routes = routes
    }

    /// Channels for an event scored at `severity`, in route order.
    public func channels(for event: Event, severity: Severity) -> [RouteDecision] {
        channels(for: RuleContext(event: event, severity: severity))
    }

    /// As above, for a caller that already holds a context (routes never use
    /// stateful conditions, so only `event` and `severity` matter).
    public func channels(for context: RuleContext) -> [RouteDecision] {
        var seen: Set<String> = []
        var decisions: [RouteDecision] = []
        for route in routes where route.when.evaluate(context) {
            for channel in route.notify where seen.insert(channel).inserted {
                decisions.append(RouteDecision(channel: channel, digest: route.digest))
            }
        }
        return decisions
    }
}
