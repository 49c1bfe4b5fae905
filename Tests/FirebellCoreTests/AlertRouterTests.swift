import Foundation
import Testing
@testable import FirebellCore

@Suite("AlertRouter")
struct RouterTests {
    private let routes = [
        Route(when: .field(.severity, .equals("critical")), notify: ["oncall-slack", "oncall-email"]),
        Route(
            when: .all([.field(.severity, .equals("minor")), .field(.environment, .equals("production"))]),
            notify: ["oncall-slack"], digest: 3600
        ),
        Route(when: .always, notify: ["audit", "oncall-slack"], digest: 60),
    ]

    @Test func everyMatchingRouteAppliesAndChannelsAppearOnce() {
        let decisions = AlertRouter(routes: routes).channels(for: ConfigFixture.event(), severity: .critical)
        #expect(decisions == [
            RouteDecision(channel: "oncall-slack"),
            RouteDecision(channel: "oncall-email"),
            RouteDecision(channel: "audit", digest: 60),
        ])
    }

    @Test func firstMatchingRoutesDigestWins() {
        let decisions = AlertRouter(routes: routes).channels(for: ConfigFixture.event(), severity: .minor)
        #expect(decisions == [
            RouteDecision(channel: "oncall-slack", digest: 3600),
            RouteDecision(channel: "audit", digest: 60),
        ])
    }

    @Test func routesTestEventFields() {
        let staging = ConfigFixture.event(environment: "staging")
        #expect(AlertRouter(routes: routes).channels(for: staging, severity: .minor) == [
            RouteDecision(channel: "audit", digest: 60),
            RouteDecision(channel: "oncall-slack", digest: 60),
        ])
    }

    @Test func noRoutesNoChannels() {
        #expect(AlertRouter(routes: []).channels(for: ConfigFixture.event(), severity: .critical).isEmpty)
    }

    @Test func loadedRoutesDedupAcrossMatches() throws {
        let config = try ConfigFixture.load("""
        channels:
          console: { type: console }
          slack: { type: slack, url: "https://hooks.slack.com/x" }
        routes:
          - when: { level: { gte: error } }
            notify: [slack, console]
          - when: { severity: critical }
            notify: [console, slack]
            digest: 5m
          - notify: console
        """)
        let decisions = AlertRouter(routes: config.routes).channels(for: ConfigFixture.event(level: .fatal), severity: .critical)
        #expect(decisions == [RouteDecision(channel: "slack"), RouteDecision(channel: "console")])
        let info = AlertRouter(routes: config.routes).channels(for: ConfigFixture.event(level: .info), severity: .critical)
        #expect(info == [RouteDecision(channel: "console", digest: 300), RouteDecision(channel: "slack", digest: 300)])
    }
}
