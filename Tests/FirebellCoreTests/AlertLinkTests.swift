import Foundation
import Testing

@testable import FirebellCore

/// The links an issue keeps from its latest event, and the config keys behind them.
@Suite("Alert links")
struct AlertLinkTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func event(url: String? = nil, platform: String? = nil, tags: [String: String] = [:]) -> Event {
        Event(eventID: "e", timestamp: now, platform: platform, exception: ExceptionInfo(type: "E"), tags: tags, url: url)
    }

    @Test func anAlertmanagerGeneratorURLIsTheSourceAndAnEventsURLIsItsURL() {
        let source = AlertLink.links(for: Self.event(url: "http://prometheus.example/graph?g0.expr=up", platform: "alertmanager"), traceURL: nil)
        #expect(source.map(\.title) == ["Source"] && source.first?.url == "http://prometheus.example/graph?g0.expr=up")
        #expect(AlertLink.links(for: Self.event(url: "https://shop.example/checkout"), traceURL: nil).map(\.title) == ["URL"])
    }

    @Test func aTraceIDWithATemplateIsATraceLink() {
        let event = Self.event(tags: ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"])
        let links = AlertLink.links(for: event, traceURL: "https://tempo.example/trace/{trace_id}?span={span_id}")
        #expect(links == [AlertLink(title: "Trace", url: "https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba902b7")])
        #expect(AlertLink.links(for: event, traceURL: nil).isEmpty)
        #expect(AlertLink.links(for: Self.event(), traceURL: "https://tempo.example/trace/{trace_id}").isEmpty)
    }

    @Test func onlyHTTPURLsAreLinksAndNothingInThemCanCloseMarkup() {
        #expect(AlertLink(title: "URL", url: "javascript:alert(1)") == nil)
        #expect(AlertLink(title: "URL", url: "http://") == nil)
        #expect(AlertLink(title: "URL", url: "HTTPS://x.example/a")?.url == "HTTPS://x.example/a")
        let hostile = AlertLink(title: "URL", url: "https://x.example/<!channel>|a](b) \"c\"@here\n")
        #expect(hostile?.url == "https://x.example/%3C!channel%3E%7Ca%5D%28b%29%20%22c%22%40here%0A")
        #expect(AlertLink(title: "Source", url: "http://[::1]:9090/graph?g0.expr=up[5m]")?.url == "http://[::1]:9090/graph?g0.expr=up%5B5m%5D")
        // A trace id tag is any client's text: encoded whole inside the template.
        let event = Self.event(tags: ["trace_id": "../../admin?x=1"])
        #expect(AlertLink.links(for: event, traceURL: "https://tempo.example/trace/{trace_id}").first?.url
            == "https://tempo.example/trace/..%2F..%2Fadmin%3Fx%3D1")
    }

    @Test func theIssueKeepsItsLatestEventsLinksAndItsAlertsCarryThem() throws {
        let config = try ConfigFixture.load("""
            otlp: { trace_url: "https://tempo.example/trace/{trace_id}" }
            channels: { out: { type: console } }
            routes: [{ when: { severity: [minor, critical] }, notify: [out] }]
            """)
        let processor = IssueProcessor(config: config)
        let first = processor.process(
            Self.event(tags: ["trace_id": "aa"]), fingerprint: "f", projectID: 1, existing: nil,
            stats: IssueStats(userCount: 0), now: Self.now)
        #expect(first.issue.links == [AlertLink(title: "Trace", url: "https://tempo.example/trace/aa")!])
        #expect(first.alert?.links == first.issue.links)
        // An event without links leaves the issue's; one with others replaces them.
        let second = processor.process(
            Self.event(), fingerprint: "f", projectID: 1, existing: first.issue, stats: IssueStats(userCount: 0), now: Self.now)
        #expect(second.issue.links == first.issue.links)
        let third = processor.process(
            Self.event(url: "https://shop.example/"), fingerprint: "f", projectID: 1, existing: second.issue,
            stats: IssueStats(userCount: 0), now: Self.now)
        #expect(third.issue.links?.map(\.title) == ["URL"])
    }

    @Test func linksSurviveTheStoresJSONAndOlderRowsWithoutThemRead() throws {
        var issue = Issue(
            projectID: 1, fingerprint: "f", title: "t", level: .error, severity: .minor, explanation: "e", score: 1,
            firstSeen: Self.now, lastSeen: Self.now)
        let older = try issue.jsonText()
        #expect(!older.contains("links"))
        #expect(try Issue(jsonText: older).links == nil)
        issue.links = [AlertLink(title: "Source", url: "http://prometheus.example/graph")!]
        #expect(try Issue(jsonText: issue.jsonText()) == issue)
        #expect(try JSONDecoder().decode(Issue.self, from: Data(issue.jsonBytes())) == issue)
        let refused = try issue.jsonText().replacingOccurrences(of: "http://prometheus.example/graph", with: "file:///etc/passwd")
        #expect(throws: (any Error).self) { try Issue(jsonText: refused) }
    }

    @Test func traceURLIsCheckedWithWhatWouldBeValid() throws {
        let config = try ConfigFixture.load("otlp: { trace_url: \"https://tempo.example/trace/{trace_id}\" }")
        #expect(config.otlp.traceURL == "https://tempo.example/trace/{trace_id}")
        #expect(ConfigFixture.error("otlp: { trace_url: \"https://tempo.example/trace/\" }")?.message
            == "otlp.trace_url: 'https://tempo.example/trace/' has no {trace_id}, where each event's trace id goes (e.g. https://tempo.example/trace/{trace_id})")
        #expect(ConfigFixture.error("otlp: { trace_url: \"tempo/{trace_id}\" }")?.message.contains("is not an http:// or https:// URL") == true)
        #expect(ConfigFixture.error("otlp: { traces: x }")?.message.contains("trace_url") == true)
    }
}
