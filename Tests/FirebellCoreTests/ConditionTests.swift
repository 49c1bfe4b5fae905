import Foundation
import Testing
@testable import FirebellCore

/// Conditions as written in YAML, decoded by the loader and evaluated.
@Suite("Conditions")
struct ConditionTests {
    /// Decodes `when: WHEN` from a one-rule severity config.
    private func condition(_ when: String) throws -> Condition {
        let config = try ConfigFixture.load("severity:\n  rules:\n    - name: r\n      when: \(when)\n      add: 1\n")
        return config.severity.rules[0].when
    }

    private func holds(_ when: String, _ event: Event) throws -> Bool {
        try condition(when).evaluate(RuleContext(event: event))
    }

    private let event = ConfigFixture.event(
        level: .error,
        message: "Payment failed for order 1231",
        environment: "production",
        tags: ["region": "eu", "user_agent": "Googlebot/2.1"],
        exception: ExceptionInfo(type: "PaymentError", value: "card declined"),
        user: User(id: "42"),
        url: "https://shop.example/checkout"
    )

    @Test func absentWhenAlwaysHolds() throws {
        let config = try ConfigFixture.load("severity:\n  rules:\n    - { name: base, add: 5 }\n")
        #expect(config.severity.rules[0].when.evaluate(RuleContext(event: event)))
        #expect(try holds("{}", event))
    }

    @Test func scalarIsExactCaseSensitiveEquality() throws {
        #expect(try holds("{ environment: production }", event))
        #expect(try !holds("{ environment: Production }", event))
        #expect(try !holds("{ environment: prod }", event))
    }

    @Test func levelEqualityIsLenient() throws {
        #expect(try holds("{ level: ERR }", event))
        #expect(try holds("{ level: [warn, error] }", event))
        #expect(try !holds("{ level: fatal }", event))
    }

    @Test func listIsAnyOf() throws {
        #expect(try holds("{ level: [error, fatal] }", event))
        #expect(try holds("{ service: [billing, checkout] }", event))
        #expect(try !holds("{ service: [billing, search] }", event))
    }

    @Test func severalKeysMustAllHold() throws {
        #expect(try holds("{ environment: production, level: [error, fatal] }", event))
        #expect(try !holds("{ environment: production, level: fatal }", event))
    }

    @Test func everyFieldReadsTheEvent() throws {
        #expect(try holds("{ release: \"1.4.2\" }", event))
        #expect(try holds("{ platform: python }", event))
        #expect(try holds("{ message: Payment failed for order 1231 }", event))
        #expect(try holds("{ exception.type: PaymentError }", event))
        #expect(try holds("{ exception.value: card declined }", event))
        #expect(try holds("{ tags.region: eu }", event))
        #expect(try holds("{ user.id: \"42\" }", event))
        #expect(try holds("{ url: \"https://shop.example/checkout\" }", event))
    }

    @Test func messageFallsBackToTitle() throws {
        let exceptionOnly = ConfigFixture.event(message: nil, exception: ExceptionInfo(type: "KeyError", value: "'sku'"))
        #expect(try holds("{ message: { starts_with: \"KeyError:\" } }", exceptionOnly))
    }

    @Test func matchesSearchesUnanchored() throws {
        #expect(try holds("{ message: { matches: \"(?i)payment|checkout\" } }", event))
        #expect(try holds("{ message: { matches: \"order \\\\d+\" } }", event))
        #expect(try !holds("{ message: { matches: \"^order\" } }", event))
        #expect(try !holds("{ message: { matches: payment } }", event)) // case-sensitive without (?i)
    }

    @Test func containsAndStartsWithIgnoreCase() throws {
        #expect(try holds("{ tags.user_agent: { contains: BOT } }", event))
        #expect(try holds("{ message: { starts_with: payment } }", event))
        #expect(try !holds("{ message: { starts_with: failed } }", event))
        #expect(try !holds("{ tags.user_agent: { contains: curl } }", event))
    }

    @Test func notTakesScalarListOrOperators() throws {
        #expect(try holds("{ environment: { not: staging } }", event))
        #expect(try !holds("{ environment: { not: production } }", event))
        #expect(try holds("{ environment: { not: [staging, dev] } }", event))
        #expect(try !holds("{ environment: { not: [staging, production] } }", event))
        #expect(try holds("{ tags.user_agent: { not: { contains: curl } } }", event))
        #expect(try !holds("{ tags.user_agent: { not: { contains: bot } } }", event))
    }

    @Test func equalsAndInOperators() throws {
        #expect(try holds("{ environment: { equals: production } }", event))
        #expect(try holds("{ environment: { in: [staging, production] } }", event))
        #expect(try !holds("{ environment: { in: [staging] } }", event))
    }

    @Test func levelBounds() throws {
        #expect(try holds("{ level: { gte: warning } }", event))
        #expect(try holds("{ level: { gte: error } }", event))
        #expect(try !holds("{ level: { gte: fatal } }", event))
        #expect(try holds("{ level: { lte: error } }", event))
        #expect(try !holds("{ level: { lte: warn } }", event))
        #expect(try holds("{ level: { gte: warning, lte: error } }", event))
        #expect(try !holds("{ level: { gte: warning, lte: error } }", ConfigFixture.event(level: .fatal)))
    }

    @Test func severalOperatorsMustAllHold() throws {
        #expect(try holds("{ message: { contains: payment, not: { contains: test } } }", event))
        #expect(try !holds("{ message: { contains: payment, starts_with: order } }", event))
    }

    @Test func missingFieldFailsPositiveTestsAndPassesNot() throws {
        let bare = ConfigFixture.event(environment: nil)
        #expect(try !holds("{ environment: production }", bare))
        #expect(try !holds("{ environment: [production] }", bare))
        #expect(try !holds("{ environment: { matches: \".*\" } }", bare))
        #expect(try !holds("{ environment: { contains: \"\" } }", bare))
        #expect(try !holds("{ environment: { starts_with: p } }", bare))
        #expect(try holds("{ environment: { not: production } }", bare))
        #expect(try holds("{ tags.missing: { not: { contains: x } } }", bare))
        #expect(try !holds("{ user.id: \"42\" }", bare))
        #expect(try !holds("{ exception.type: PaymentError }", bare))
    }

    @Test func newIssueAndRegressionFollowTheContext() throws {
        let newIssue = try condition("{ new_issue: true }")
        #expect(newIssue.evaluate(RuleContext(event: event, isNewIssue: true)))
        #expect(!newIssue.evaluate(RuleContext(event: event, isNewIssue: false)))
        let notNew = try condition("{ new_issue: false }")
        #expect(notNew.evaluate(RuleContext(event: event, isNewIssue: false)))
        let regression = try condition("{ regression: true }")
        #expect(regression.evaluate(RuleContext(event: event, isRegression: true)))
        #expect(!regression.evaluate(RuleContext(event: event)))
    }

    @Test func eventsInNeedsStrictlyMoreThanOver() throws {
        let spike = try condition("{ events_in: { window: 5m, over: 50 } }")
        #expect(spike.eventWindows == [300])
        #expect(!spike.evaluate(RuleContext(event: event, eventsInWindow: [300: 50])))
        #expect(spike.evaluate(RuleContext(event: event, eventsInWindow: [300: 51])))
        // Another window's count does not stand in for this one.
        #expect(!spike.evaluate(RuleContext(event: event, eventsInWindow: [3600: 500])))
    }

    @Test func usersInNeedsStrictlyMoreThanOver() throws {
        let many = try condition("{ users_in: { window: 1h, over: 10 } }")
        #expect(many.userWindows == [3600])
        #expect(!many.evaluate(RuleContext(event: event, usersInWindow: [3600: 10])))
        #expect(many.evaluate(RuleContext(event: event, usersInWindow: [3600: 11])))
    }

    @Test func uncountedWindowCountsOnlyThisEvent() {
        // test-rules scores a sample as the first event of a new issue.
        let firstEvent = Condition.eventsIn(window: 300, over: 0)
        #expect(firstEvent.evaluate(RuleContext(event: event)))
        #expect(!Condition.eventsIn(window: 300, over: 1).evaluate(RuleContext(event: event)))
        #expect(Condition.usersIn(window: 60, over: 0).evaluate(RuleContext(event: event)))
        #expect(!Condition.usersIn(window: 60, over: 0).evaluate(RuleContext(event: ConfigFixture.event(user: nil))))
    }

    @Test func windowsAreCollectedFromEveryRule() throws {
        let config = try ConfigFixture.load("""
        severity:
          rules:
            - { name: a, when: { events_in: { window: 5m, over: 50 }, users_in: { window: 1h, over: 3 } }, add: 1 }
            - { name: b, when: { events_in: { window: 1h, over: 500 } }, add: 1 }
            - { name: c, when: { events_in: { window: 300s, over: 9 } }, add: 1 }
        """)
        #expect(config.eventWindows == [300, 3600])
        #expect(config.userWindows == [3600])
    }

    @Test func severityFieldReadsTheRoutedSeverity() {
        let critical = Condition.field(.severity, .equals("critical"))
        #expect(critical.evaluate(RuleContext(event: event, severity: .critical)))
        #expect(!critical.evaluate(RuleContext(event: event, severity: .minor)))
        #expect(!critical.evaluate(RuleContext(event: event)))
    }

    @Test func fieldNamesRoundTrip() {
        for (name, _) in Field.named {
            #expect(Field(configName: name)?.configName == name)
        }
        #expect(Field(configName: "tags.region") == .tag("region"))
        #expect(Field(configName: "tags.") == nil)
        #expect(Field(configName: "exception") == nil)
    }
}
