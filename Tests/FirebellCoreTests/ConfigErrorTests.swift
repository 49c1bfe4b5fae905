import Foundation
import Testing
@testable import FirebellCore

/// Every rejection names the file, line, column, key path and what would be valid.
@Suite("Config loader: errors")
struct ConfigErrorTests {
    /// Asserts the config has exactly this one error.
    private func expectError(
        _ yaml: String,
        at line: Int,
        _ column: Int,
        _ message: String,
        environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = ConfigFixture.error(yaml, environment: environment) else { return }
        #expect(error.line == line, "line", sourceLocation: sourceLocation)
        #expect(error.column == column, "column", sourceLocation: sourceLocation)
        #expect(error.message == message, sourceLocation: sourceLocation)
        #expect(error.description == "config/firebell.yaml:\(line):\(column): \(message)", sourceLocation: sourceLocation)
    }

    @Test func unknownKeyListsValidKeys() {
        expectError(
            "server:\n  listn: 127.0.0.1:8470\n", at: 2, 3,
            "unknown key 'listn' in server (valid: listen, base_url, admin_token, max_body, read_timeout, max_connections, otlp_listen)"
        )
    }

    @Test func unknownTopLevelKey() {
        expectError(
            "server: {}\nrutes: []\n", at: 2, 1,
            "unknown key 'rutes' at top level (valid: server, storage, projects, grouping, severity, channels, routes, alerting, otlp)"
        )
    }

    @Test func wrongTypeNamesExpectation() {
        expectError("severity:\n  critical_at: high\n", at: 2, 16, "severity.critical_at: expected an integer, got 'high'")
    }

    @Test func sectionMustBeAMapping() {
        expectError("server: [a, b]\n", at: 1, 9, "server: expected a mapping, got a list")
    }

    @Test func badDuration() {
        expectError(
            "alerting:\n  repeat_after: 5x\n", at: 2, 17,
            "alerting.repeat_after: '5x' is not a duration (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func zeroWindowIsRejected() {
        expectError(
            "storage:\n  retention: 0d\n", at: 2, 14,
            "storage.retention: must be longer than 0 (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func badMinFree() {
        expectError(
            "storage:\n  min_free: lots\n", at: 2, 13,
            "storage.min_free: 'lots' is not a size (use bytes or an integer with KiB, MiB, GiB, KB, MB or GB, e.g. 1MiB)"
        )
    }

    @Test func flappingNeedsAtLeastOneComeback() {
        expectError(
            "alerting:\n  flapping: { max: 0 }\n", at: 2, 20,
            "alerting.flapping.max: must be at least 1 (regressions within the window before an issue is flapping)"
        )
    }

    @Test func badIncidentWindow() {
        expectError(
            "alerting:\n  incident_window: soon\n", at: 2, 20,
            "alerting.incident_window: 'soon' is not a duration (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func incidentUpdateMustBeLongerThanZero() {
        expectError(
            "alerting:\n  incident_update: 0s\n", at: 2, 20,
            "alerting.incident_update: must be longer than 0 (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func badDeployWindow() {
        expectError(
            "alerting:\n  deploy_window: half an hour\n", at: 2, 18,
            "alerting.deploy_window: 'half an hour' is not a duration (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func badRate() {
        expectError(
            "alerting:\n  channel_rate: 20/week\n", at: 2, 17,
            "alerting.channel_rate: '20/week' is not a rate (use N/s, N/min or N/h)"
        )
    }

    @Test func badSize() {
        expectError(
            "server:\n  max_body: 1 MiB\n", at: 2, 13,
            "server.max_body: '1 MiB' is not a size (use bytes or an integer with KiB, MiB, GiB, KB, MB or GB, e.g. 1MiB)"
        )
    }

    @Test func readTimeoutMustBeAPositiveDuration() {
        expectError(
            "server:\n  read_timeout: 30\n", at: 2, 17,
            "server.read_timeout: '30' is not a duration (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
        expectError(
            "server:\n  read_timeout: 0s\n", at: 2, 17,
            "server.read_timeout: must be longer than 0 (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)"
        )
    }

    @Test func maxConnectionsMustBeAPositiveInteger() {
        expectError(
            "server:\n  max_connections: 0\n", at: 2, 20,
            "server.max_connections: must be at least 1 (the number of connections served at once, default 1024)"
        )
        expectError(
            "server:\n  max_connections: many\n", at: 2, 20,
            "server.max_connections: expected an integer, got 'many'"
        )
    }

    @Test func listenMustBeHostPort() {
        expectError(
            "server:\n  listen: localhost\n", at: 2, 11,
            "server.listen: 'localhost' is not host:port (use host:port, e.g. 127.0.0.1:8470 or 0.0.0.0:8470)"
        )
        expectError(
            "server:\n  listen: 127.0.0.1:99999\n", at: 2, 11,
            "server.listen: '127.0.0.1:99999' is not host:port (use host:port, e.g. 127.0.0.1:8470 or 0.0.0.0:8470)"
        )
    }

    @Test func baseURLMustBeHTTP() {
        expectError("server:\n  base_url: firebell.local\n", at: 2, 13,
                    "server.base_url: 'firebell.local' is not an http:// or https:// URL")
    }

    @Test func badStorageURL() {
        expectError(
            "storage:\n  url: mysql://db/x\n", at: 2, 8,
            "storage.url: 'mysql://db/x' is not a storage URL (use sqlite:PATH or postgres://user:pass@host/db)"
        )
    }

    @Test func unknownChannelInRouteListsDefinedChannels() {
        let yaml = """
        channels:
          console: { type: console }
          oncall-slack: { type: slack, url: "https://hooks.slack.com/x" }
        routes:
          - when: { severity: critical }
            notify: [console, oncall-slak]
        """
        expectError(yaml, at: 6, 23, "routes[0].notify: unknown channel 'oncall-slak' (defined: console, oncall-slack)")
    }

    @Test func routeToABrokenChannelReportsOnlyTheChannel() {
        let yaml = """
        channels:
          pager: { type: pagerduty }
        routes:
          - notify: [pager]
        """
        expectError(yaml, at: 2, 10, "channels.pager: missing 'routing_key' (pagerduty needs routing_key)")
    }

    @Test func badRegexNamesReason() {
        let yaml = """
        severity:
          rules:
            - name: a
              when: { level: error }
              add: 1
            - name: b
              when: { message: { matches: "(" } }
              add: 1
        """
        guard let error = ConfigFixture.error(yaml) else { return }
        #expect((error.line, error.column) == (7, 35))
        #expect(error.message.hasPrefix("severity.rules[1].when.message.matches: invalid regular expression '(': "))
        #expect(error.message.contains("expected ')'"))
    }

    @Test func unknownFieldListsValidFields() {
        let yaml = """
        severity:
          rules:
            - name: prod
              when: { enviroment: production }
              add: 10
        """
        expectError(
            yaml, at: 4, 15,
            "severity.rules[0].when: unknown field 'enviroment' (valid: level, environment, service, release, platform, "
                + "message, exception.type, exception.value, tags.<name>, user.id, url, new_issue, regression, events_in, users_in)"
        )
    }

    @Test func unknownFieldInRouteListsRouteFields() {
        expectError(
            "channels:\n  c: { type: console }\nroutes:\n  - when: { sev: critical }\n    notify: [c]\n", at: 4, 13,
            "routes[0].when: unknown field 'sev' (valid: level, environment, service, release, platform, "
                + "message, exception.type, exception.value, tags.<name>, user.id, url, severity)",
        )
    }

    @Test func unknownOperatorListsValidOperators() {
        let yaml = """
        severity:
          rules:
            - name: pay
              when: { message: { match: pay } }
              add: 10
        """
        expectError(
            yaml, at: 4, 26,
            "unknown operator 'match' in severity.rules[0].when.message "
                + "(valid: equals, in, matches, contains, starts_with, not, gte, lte)"
        )
    }

    @Test func gteOnlyAppliesToLevel() {
        let yaml = """
        severity:
          rules:
            - name: x
              when: { message: { gte: error } }
              add: 10
        """
        expectError(yaml, at: 4, 31, "severity.rules[0].when.message.gte: gte compares levels, so it applies only to level")
    }

    @Test func unknownLevelName() {
        let yaml = """
        severity:
          rules:
            - name: x
              when: { level: { gte: eror } }
              add: 10
        """
        expectError(yaml, at: 4, 29, "severity.rules[0].when.level.gte: 'eror' is not a level (valid: debug, info, warning, error, fatal)")
    }

    @Test func statefulConditionsAreNotAllowedInRoutes() {
        let yaml = """
        channels:
          console: { type: console }
        routes:
          - when: { events_in: { window: 5m, over: 50 } }
            notify: [console]
        """
        expectError(
            yaml, at: 4, 13,
            "routes[0].when.events_in: 'events_in' is not allowed in routes (issue state is only known to severity rules)"
        )
    }

    @Test func statefulConditionsAreNotAllowedInGrouping() {
        expectError(
            "grouping:\n  - when: { new_issue: true }\n    fingerprint: [x]\n", at: 2, 13,
            "grouping[0].when.new_issue: 'new_issue' is not allowed in grouping rules (issue state is only known to severity rules)"
        )
    }

    @Test func severityFieldOnlyInRoutes() {
        let yaml = """
        severity:
          rules:
            - name: loop
              when: { severity: critical }
              add: 10
        """
        expectError(
            yaml, at: 4, 15,
            "severity.rules[0].when.severity: 'severity' is not allowed in severity rules (only routes can test the severity the rules produced)"
        )
    }

    @Test func routeSeverityMustBeMinorOrCritical() {
        expectError(
            "channels:\n  c: { type: console }\nroutes:\n  - when: { severity: high }\n    notify: [c]\n", at: 4, 23,
            "routes[0].when.severity: 'high' is not a severity (valid: minor, critical)"
        )
    }

    @Test func eventsInNeedsWindowAndOver() {
        let yaml = """
        severity:
          rules:
            - name: spike
              when: { events_in: { window: 5m } }
              add: 50
        """
        expectError(yaml, at: 4, 26, "severity.rules[0].when.events_in: missing 'over' (e.g. events_in: { window: 5m, over: 50 })")
    }

    @Test func newIssueMustBeBoolean() {
        let yaml = """
        severity:
          rules:
            - name: new
              when: { new_issue: maybe }
              add: 20
        """
        expectError(yaml, at: 4, 26, "severity.rules[0].when.new_issue: expected true or false, got 'maybe'")
    }

    @Test func unknownChannelTypeListsTypes() {
        expectError(
            "channels:\n  pager: { type: pagerduti, routing_key: x }\n", at: 2, 18,
            "channels.pager.type: unknown channel type 'pagerduti' (valid: console, slack, discord, teams, mattermost, "
                + "google_chat, telegram, webhook, pagerduty, email, sendgrid, mailgun, postmark)"
        )
    }

    @Test func channelWithoutTypeIsReportedAtItsName() {
        expectError(
            "channels:\n  console:\n", at: 2, 3,
            "channels.console: missing 'type' (valid: console, slack, discord, teams, mattermost, "
                + "google_chat, telegram, webhook, pagerduty, email, sendgrid, mailgun, postmark)"
        )
    }

    @Test(arguments: [
        ("{ type: slack }", "channels.c: slack needs url, or token and channel"),
        ("{ type: slack, token: xoxb-1 }", "channels.c: slack needs url, or token and channel"),
        ("{ type: discord }", "channels.c: missing 'url' (discord needs url)"),
        ("{ type: teams }", "channels.c: missing 'url' (teams needs url)"),
        ("{ type: mattermost }", "channels.c: missing 'url' (mattermost needs url)"),
        ("{ type: google_chat }", "channels.c: missing 'url' (google_chat needs url)"),
        ("{ type: webhook, secret: s }", "channels.c: missing 'url' (webhook needs url)"),
        ("{ type: telegram, token: t }", "channels.c: missing 'chat_id' (telegram needs token and chat_id)"),
        ("{ type: pagerduty, url: \"https://events.example\" }", "channels.c: missing 'routing_key' (pagerduty needs routing_key)"),
        ("{ type: email, url: \"smtps://m:465\", to: [a@b.c] }", "channels.c: missing 'from' (email needs url, from and to)"),
        ("{ type: sendgrid, from: a@b.c, to: a@b.c }", "channels.c: missing 'api_key' (sendgrid needs api_key, from and to)"),
        ("{ type: mailgun, api_key: k, from: a@b.c, to: a@b.c }", "channels.c: missing 'domain' (mailgun needs api_key, domain, from and to)"),
        ("{ type: postmark, server_token: t, from: a@b.c }", "channels.c: missing 'to' (postmark needs server_token, from and to)"),
    ])
    func missingRequiredChannelKey(channel: String, message: String) {
        expectError("channels:\n  c: \(channel)\n", at: 2, 6, message)
    }

    @Test func everyMissingKeyIsReported() {
        let errors = ConfigFixture.errors("channels:\n  mail: { type: email }\n")
        #expect(errors.map(\.message) == [
            "channels.mail: missing 'url' (email needs url, from and to)",
            "channels.mail: missing 'from' (email needs url, from and to)",
            "channels.mail: missing 'to' (email needs url, from and to)",
        ])
        #expect(errors.allSatisfy { $0.line == 2 && $0.column == 9 })
    }

    @Test func incompleteChannelStillHasItsOtherKeysChecked() {
        let errors = ConfigFixture.errors("channels:\n  d: { type: discord, timeout: soon }\n")
        #expect(errors.map(\.message) == [
            "channels.d: missing 'url' (discord needs url)",
            "channels.d.timeout: 'soon' is not a duration (use an integer with ms, s, m, h or d, e.g. 90s, 5m, 14d)",
        ])
        #expect(errors.map(\.column) == [6, 32])
    }

    @Test func emailURLMustBeSMTP() {
        expectError(
            "channels:\n  mail: { type: email, url: \"https://smtp.example\", from: a@b.c, to: [a@b.c] }\n", at: 2, 29,
            "channels.mail.url: 'https://smtp.example' must start with smtp:// or smtps:// (smtp:// uses STARTTLS, smtps:// implicit TLS)"
        )
    }

    @Test func chatURLMustBeHTTP() {
        expectError(
            "channels:\n  d: { type: discord, url: discord.com/api/webhooks/1 }\n", at: 2, 28,
            "channels.d.url: 'discord.com/api/webhooks/1' must start with http:// or https://"
        )
    }

    @Test func mailgunRegionIsUSOrEU() {
        expectError(
            "channels:\n  mg: { type: mailgun, api_key: k, domain: d, region: asia, from: a@b.c, to: a@b.c }\n", at: 2, 55,
            "channels.mg.region: 'asia' is not a Mailgun region (valid: us, eu)"
        )
    }

    @Test func keyOfAnotherChannelTypeListsThisTypesKeys() {
        expectError(
            "channels:\n  oncall-slack: { type: slack, url: \"https://h.example\", chat_id: 1 }\n", at: 2, 58,
            "unknown key 'chat_id' in channels.oncall-slack (valid for slack: type, url, token, channel, template, send_resolved, timeout)"
        )
    }

    @Test func unsetVariableInRequiredKeyIsNamed() {
        expectError(
            "channels:\n  oncall-slack: { type: slack, url: \"${SLACK_WEBHOOK_URL}\" }\n", at: 2, 37,
            "channels.oncall-slack.url: is empty (environment variable SLACK_WEBHOOK_URL is not set)"
        )
    }

    @Test func designExampleWithoutEnvironmentNamesTheMissingWebhook() {
        let errors = ConfigFixture.errors(DesignExample.yaml)
        #expect(errors.map(\.message) == [
            "channels.oncall-slack.url: is empty (environment variable SLACK_WEBHOOK_URL is not set)",
        ])
    }

    @Test func ruleNeedsAddOrSet() {
        expectError(
            "severity:\n  rules:\n    - name: nothing\n      when: { level: error }\n", at: 3, 7,
            "severity.rules[0]: needs add: N (points) or set: minor|critical"
        )
    }

    @Test func ruleCannotHaveBothAddAndSet() {
        expectError(
            "severity:\n  rules:\n    - { name: both, add: 10, set: minor }\n", at: 3, 7,
            "severity.rules[0]: has both add and set (use add: N to score, or set: minor|critical to force)"
        )
    }

    @Test func setMustBeASeverity() {
        expectError(
            "severity:\n  rules:\n    - { name: bots, set: low }\n", at: 3, 26,
            "severity.rules[0].set: 'low' is not a severity (valid: minor, critical)"
        )
    }

    @Test func addMustBeAnInteger() {
        expectError(
            "severity:\n  rules:\n    - { name: x, add: lots }\n", at: 3, 23,
            "severity.rules[0].add: expected an integer, got 'lots'"
        )
    }

    @Test func negativeAddIsAllowed() throws {
        let config = try ConfigFixture.load("severity:\n  rules:\n    - { name: quiet, add: -10 }\n")
        #expect(config.severity.rules[0].effect == .add(-10))
    }

    @Test func duplicateProjectID() {
        let yaml = """
        projects:
          - { id: 1, name: a, keys: [k1] }
          - { id: 1, name: b, keys: [k2] }
        """
        expectError(yaml, at: 3, 11, "projects[1].id: duplicate project id 1 (also projects[0])")
    }

    @Test func projectKeysMustBeNonEmpty() {
        expectError("projects:\n  - { id: 1, keys: [] }\n", at: 2, 20, "projects[0].keys: must list at least one key")
        expectError(
            "projects:\n  - { id: 1 }\n", at: 2, 5,
            "projects[0]: missing 'keys' (a list of DSN public keys / bearer tokens)"
        )
        expectError("projects:\n  - { id: 1, keys: [\"\"] }\n", at: 2, 21, "projects[0].keys[0]: is empty")
    }

    @Test func projectKeyBelongsToOneProject() {
        expectError(
            "projects:\n  - { id: 1, keys: [k] }\n  - { id: 2, keys: [k] }\n", at: 3, 21,
            "projects[1].keys[0]: key 'k' is already used by projects[0] (a key identifies one project)"
        )
    }

    @Test func yamlSyntaxErrorIsLocated() {
        guard let error = ConfigFixture.error("server:\n  listen: [a\n") else { return }
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("invalid YAML: "))
    }

    @Test func duplicateYAMLKeyIsReported() {
        expectError(
            "server:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n", at: 2, 3,
            "key 'listen' appears more than once in one mapping (each key may appear once)"
        )
    }

    @Test func allErrorsAreReportedAtOnceInFileOrder() {
        let yaml = """
        alerting:
          repeat_after: 5x
        server:
          listn: 127.0.0.1:8470
        severity:
          critical_at: high
          rules:
            - { name: bots, set: low }
        channels:
          console: { type: console }
        routes:
          - notify: [consol]
        """
        let errors = ConfigFixture.errors(yaml)
        #expect(errors.map { "\($0.line):\($0.column)" } == ["2:17", "4:3", "6:16", "8:26", "12:14"])
        #expect(errors.map { $0.message.prefix(while: { $0 != ":" && $0 != " " }) } == [
            "alerting.repeat_after", "unknown", "severity.critical_at", "severity.rules[0].set", "routes[0].notify",
        ])
        let description = ConfigErrors(errors).description
        #expect(description.split(separator: "\n").count == 5)
        #expect(description.hasPrefix("config/firebell.yaml:2:17: alerting.repeat_after: '5x' is not a duration"))
    }
}
