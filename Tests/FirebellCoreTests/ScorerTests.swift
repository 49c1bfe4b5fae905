import Foundation
import Testing
@testable import FirebellCore

@Suite("Scorer")
struct ScorerTests {
    private func designScorer() throws -> Scorer {
        Scorer(try ConfigFixture.load(DesignExample.yaml, environment: DesignExample.environment).severity)
    }

    @Test func newProductionPaymentErrorIsCritical() throws {
        let event = ConfigFixture.event(level: .error, message: "Payment failed for order 1231", environment: "production")
        let result = try designScorer().score(RuleContext(event: event, isNewIssue: true, eventsInWindow: [300: 1], usersInWindow: [3600: 1]))
        #expect(result.score == 110)
        #expect(result.severity == .critical)
        #expect(result.criticalAt == 100)
        #expect(result.hits == [
            RuleHit(name: "production errors", effect: .add(60)),
            RuleHit(name: "checkout path", effect: .add(30)),
            RuleHit(name: "new issue", effect: .add(20)),
        ])
        #expect(result.explanation == "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20")
    }

    @Test func secondEventOfTheSameIssueScoresLower() throws {
        let event = ConfigFixture.event()
        let result = try designScorer().score(RuleContext(event: event, eventsInWindow: [300: 2], usersInWindow: [3600: 1]))
        #expect(result.score == 90)
        #expect(result.severity == .minor)
        #expect(result.explanation == "score 90 < 100: production errors +60, checkout path +30")
    }

    @Test func manyUsersAloneIsMinor() throws {
        let event = ConfigFixture.event(level: .warning, message: "slow search", environment: "staging")
        let result = try designScorer().score(RuleContext(event: event, eventsInWindow: [300: 3], usersInWindow: [3600: 11]))
        #expect(result.score == 40)
        #expect(result.severity == .minor)
        #expect(result.explanation == "score 40 < 100: many users +40")
    }

    @Test func spikeEscalates() throws {
        let event = ConfigFixture.event(message: "db timeout")
        let context = RuleContext(event: event, eventsInWindow: [300: 51], usersInWindow: [3600: 1])
        let result = try designScorer().score(context)
        #expect(result.score == 110)
        #expect(result.severity == .critical)
        #expect(result.explanation == "score 110 ≥ 100: production errors +60, spike +50")
    }

    @Test func setMinorOverridesAHighScore() throws {
        let event = ConfigFixture.event(tags: ["user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"])
        let result = try designScorer().score(RuleContext(event: event, isNewIssue: true, eventsInWindow: [300: 1]))
        #expect(result.score == 110)
        #expect(result.severity == .minor)
        #expect(result.hits.last == RuleHit(name: "bots never page", effect: .set(.minor)))
        #expect(result.explanation
            == "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20; bots never page → minor")
    }

    @Test func laterSetOverridesEarlierSet() {
        let scorer = Scorer(SeverityConfig(criticalAt: 100, rules: [
            SeverityRule(name: "vip", when: .always, effect: .set(.critical)),
            SeverityRule(name: "maintenance", when: .field(.environment, .equals("production")), effect: .set(.minor)),
        ]))
        let result = scorer.score(RuleContext(event: ConfigFixture.event()))
        #expect(result.severity == .minor)
        #expect(result.explanation == "score 0 < 100: no scoring rule matched; vip → critical; maintenance → minor")

        let staging = scorer.score(RuleContext(event: ConfigFixture.event(environment: "staging")))
        #expect(staging.severity == .critical)
    }

    @Test func negativePointsSubtract() {
        let scorer = Scorer(SeverityConfig(criticalAt: 50, rules: [
            SeverityRule(name: "errors", when: .always, effect: .add(60)),
            SeverityRule(name: "known flaky", when: .always, effect: .add(-15)),
        ]))
        let result = scorer.score(RuleContext(event: ConfigFixture.event()))
        #expect(result.score == 45)
        #expect(result.severity == .minor)
        #expect(result.explanation == "score 45 < 50: errors +60, known flaky -15")
    }

    @Test func scoreEqualToThresholdIsCritical() {
        let scorer = Scorer(SeverityConfig(criticalAt: 60, rules: [
            SeverityRule(name: "errors", when: .always, effect: .add(60)),
        ]))
        #expect(scorer.score(RuleContext(event: ConfigFixture.event())).severity == .critical)
    }

    @Test func noRulesMeansMinorWithAReason() {
        let result = Scorer(SeverityConfig()).score(RuleContext(event: ConfigFixture.event()))
        #expect(result.score == 0)
        #expect(result.severity == .minor)
        #expect(result.hits.isEmpty)
        #expect(result.explanation == "score 0 < 100: no scoring rule matched")
    }

    @Test func severityOrder() {
        #expect(Severity.minor < .critical)
        #expect(!(Severity.critical < .minor))
        #expect([Severity.critical, .minor].max() == .critical)
    }
}
