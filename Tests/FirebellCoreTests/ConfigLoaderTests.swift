import Foundation
import Testing
@testable import FirebellCore

@Suite("Config loader: valid files")
struct ConfigLoaderTests {
    @Test func connectionLimitsDefaultAndCanBeSet() throws {
        let defaults = try ConfigFixture.load("server:\n  listen: 127.0.0.1:8470\n")
        #expect(defaults.server.readTimeout == 30)
        #expect(defaults.server.maxConnections == 1024)
        let set = try ConfigFixture.load("server:\n  read_timeout: 1500ms\n  max_connections: 64\n")
        #expect(set.server.readTimeout == 1.5)
        #expect(set.server.maxConnections == 64)
    }

    @Test func designExampleLoadsEverySection() throws {
        let config = try ConfigFixture.load(DesignExample.yaml, environment: DesignExample.environment)

        #expect(config.sourcePath == ConfigFixture.path)
        #expect(config.server == ServerConfig(
            listenHost: "127.0.0.1", listenPort: 8470, baseURL: "http://127.0.0.1:8470", adminToken: nil, maxBody: 1_048_576
        ))
        #expect(config.storage == StorageConfig(url: .sqlite(path: "data/firebell.sqlite"), retention: 14 * 86400))
        #expect(config.storage.minFree == 256 << 20)
        #expect(try ConfigFixture.load("storage:\n  min_free: 1GiB\n").storage.minFree == 1 << 30)
        #expect(try ConfigFixture.load("storage:\n  min_free: 0\n").storage.minFree == 0)
        #expect(config.projects == [ProjectConfig(
            id: 1, name: "checkout", keys: ["5f0c4d3e2b1a49c8a7d6e5f4c3b2a190"], rateLimit: Rate(count: 600, period: 60)
        )])
        #expect(config.project(id: 1)?.name == "checkout")
        #expect(config.project(id: 2) == nil)

        #expect(config.grouping.count == 1)
        #expect(config.grouping[0].fingerprint == ["timeout", "{{ tags.upstream }}"])
        let timeout = ConfigFixture.event(exception: ExceptionInfo(type: "TimeoutError"))
        #expect(config.grouping[0].when.evaluate(RuleContext(event: timeout)))
        #expect(!config.grouping[0].when.evaluate(RuleContext(event: ConfigFixture.event())))

        #expect(config.severity.criticalAt == 100)
        #expect(config.severity.rules.map(\.name) == [
            "production errors", "checkout path", "new issue", "came back", "spike", "many users", "bots never page",
        ])
        #expect(config.severity.rules.map(\.effect) == [
            .add(60), .add(30), .add(20), .add(20), .add(50), .add(40), .set(.minor),
        ])
        #expect(config.eventWindows == [300])
        #expect(config.userWindows == [3600])

        #expect(config.channels.map(\.name) == ["console", "oncall-slack", "oncall-email", "audit"])
        #expect(config.channel(named: "console")?.withoutLocations == ChannelConfig(name: "console", type: .console))
        #expect(config.channel(named: "oncall-slack")?.withoutLocations == ChannelConfig(
            name: "oncall-slack", type: .slack, url: "https://hooks.slack.com/services/T0/B0/XYZ"
        ))
        #expect(config.channel(named: "oncall-email")?.withoutLocations == ChannelConfig(
            name: "oncall-email", type: .email, url: "smtps://smtp.example.com:465",
            from: "Firebell <alerts@example.com>", to: ["oncall@example.com"],
            username: "alerts@example.com", password: "hunter2"
        ))
        #expect(config.channel(named: "audit")?.withoutLocations == ChannelConfig(
            name: "audit", type: .webhook, url: "https://hooks.example.com/firebell",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        ))
        #expect(config.channel(named: "pager") == nil)

        #expect(config.routes.map(\.notify) == [["oncall-slack", "oncall-email"], ["oncall-slack"]])
        #expect(config.routes.map(\.digest) == [nil, 3600])
        #expect(config.alerting == AlertingConfig(repeatAfter: 3600, channelRate: Rate(count: 20, period: 60)))
    }

    @Test func designExampleRoutesBySeverity() throws {
        let config = try ConfigFixture.load(DesignExample.yaml, environment: DesignExample.environment)
        let router = AlertRouter(routes: config.routes)
        let event = ConfigFixture.event()
        #expect(router.channels(for: event, severity: .critical) == [
            RouteDecision(channel: "oncall-slack"), RouteDecision(channel: "oncall-email"),
        ])
        #expect(router.channels(for: event, severity: .minor) == [RouteDecision(channel: "oncall-slack", digest: 3600)])
        let staging = ConfigFixture.event(environment: "staging")
        #expect(router.channels(for: staging, severity: .minor).isEmpty)
    }

    @Test func emptyFileGivesDefaults() throws {
        let config = try ConfigFixture.load("")
        #expect(config.server == ServerConfig(
            listenHost: "127.0.0.1", listenPort: 8470, baseURL: "http://127.0.0.1:8470", adminToken: nil, maxBody: 1 << 20
        ))
        #expect(config.storage == StorageConfig(url: .sqlite(path: "data/firebell.sqlite"), retention: 14 * 86400))
        #expect(config.severity.criticalAt == 100)
        #expect(config.alerting == AlertingConfig(repeatAfter: 3600, channelRate: nil))
        #expect(config.projects.isEmpty && config.grouping.isEmpty && config.severity.rules.isEmpty)
        #expect(config.channels.isEmpty && config.routes.isEmpty)
        #expect(config.eventWindows.isEmpty && config.userWindows.isEmpty)
    }

    @Test func emptySectionsGiveDefaults() throws {
        let config = try ConfigFixture.load("server:\nstorage:\nseverity:\nchannels:\nroutes:\nalerting:\n")
        #expect(config.server.listenPort == 8470)
        #expect(config.severity.criticalAt == 100)
        #expect(config.channels.isEmpty)
    }

    @Test func incidentsDefaultToAMinuteWithUpdatesEveryTenSeconds() throws {
        let defaults = try ConfigFixture.load("alerting: {}\n").alerting
        #expect(defaults.incidentWindow == 60 && defaults.incidentUpdate == 10)
        let set = try ConfigFixture.load("alerting:\n  incident_window: 2m\n  incident_update: 30s\n").alerting
        #expect(set.incidentWindow == 120 && set.incidentUpdate == 30)
        // 0s turns incidents off: every page goes alone.
        #expect(try ConfigFixture.load("alerting:\n  incident_window: 0s\n").alerting.incidentWindow == 0)
    }

    @Test func baseURLFollowsListenWhenAbsent() throws {
        let config = try ConfigFixture.load("server:\n  listen: 0.0.0.0:9000\n")
        #expect(config.server.listenHost == "0.0.0.0")
        #expect(config.server.listenPort == 9000)
        #expect(config.server.baseURL == "http://0.0.0.0:9000")
    }

    @Test func listenAcceptsBracketedIPv6() throws {
        let config = try ConfigFixture.load("server:\n  listen: \"[::1]:8470\"\n")
        #expect(config.server.listenHost == "::1")
        #expect(config.server.baseURL == "http://[::1]:8470")
    }

    @Test func baseURLLosesTrailingSlash() throws {
        let config = try ConfigFixture.load("server:\n  base_url: https://firebell.example.com/\n")
        #expect(config.server.baseURL == "https://firebell.example.com")
    }

    @Test(arguments: [
        ("sqlite:data/x.sqlite", StorageURL.sqlite(path: "data/x.sqlite")),
        ("sqlite:///var/lib/firebell.sqlite", .sqlite(path: "/var/lib/firebell.sqlite")),
        ("postgres://u:p@db/firebell", .postgres(url: "postgres://u:p@db/firebell")),
        ("postgresql://db/firebell", .postgres(url: "postgresql://db/firebell")),
    ])
    func storageURLSchemes(text: String, expected: StorageURL) throws {
        let config = try ConfigFixture.load("storage:\n  url: \(text)\n")
        #expect(config.storage.url == expected)
    }

    @Test func storagePoolSizeAndLeaseDefaultAndParse() throws {
        let defaults = try ConfigFixture.load("storage:\n  url: postgres://u@db/fb\n")
        #expect(defaults.storage.poolSize == 8 && defaults.storage.lease == 30)
        let set = try ConfigFixture.load("storage:\n  url: postgres://u@db/fb\n  pool_size: 3\n  lease: 2m\n")
        #expect(set.storage.poolSize == 3 && set.storage.lease == 120)
    }

    @Test func environmentExpandsWithAndWithoutDefault() throws {
        let yaml = """
        server:
          listen: ${LISTEN:-127.0.0.1:9999}
          admin_token: ${ADMIN_TOKEN}
        storage:
          url: ${DATABASE_URL:-sqlite:fallback.sqlite}
        """
        let defaults = try ConfigFixture.load(yaml)
        #expect(defaults.server.listenPort == 9999)
        #expect(defaults.server.adminToken == nil)
        #expect(defaults.storage.url == .sqlite(path: "fallback.sqlite"))

        let set = try ConfigFixture.load(yaml, environment: [
            "LISTEN": "0.0.0.0:80", "ADMIN_TOKEN": "s3cret", "DATABASE_URL": "postgres://db/fb",
        ])
        #expect(set.server.listenPort == 80)
        #expect(set.server.adminToken == "s3cret")
        #expect(set.storage.url == .postgres(url: "postgres://db/fb"))
    }

    @Test func environmentExpandsInsideConditionsAndNumbers() throws {
        let yaml = """
        severity:
          critical_at: ${CRITICAL_AT:-80}
          rules:
            - name: prod
              when: { environment: "${PROD_ENV}" }
              add: 10
        """
        let config = try ConfigFixture.load(yaml, environment: ["PROD_ENV": "prod-eu"])
        #expect(config.severity.criticalAt == 80)
        let rule = config.severity.rules[0].when
        #expect(rule.evaluate(RuleContext(event: ConfigFixture.event(environment: "prod-eu"))))
        #expect(!rule.evaluate(RuleContext(event: ConfigFixture.event(environment: "production"))))
    }

    @Test func unsetOptionalSecretMeansNone() throws {
        let config = try ConfigFixture.load("""
        channels:
          audit: { type: webhook, url: "https://h.example/x", secret: "${AUDIT_SECRET}" }
        """)
        #expect(config.channel(named: "audit")?.secret == nil)
    }

    @Test func channelDefaultsAndCommonKeys() throws {
        let config = try ConfigFixture.load("""
        channels:
          quiet: { type: discord, url: "https://discord.example/api/webhooks/1/x", send_resolved: false, timeout: 2500ms }
          tpl: { type: console, template: "{{ title }}" }
        """)
        let quiet = try #require(config.channel(named: "quiet"))
        #expect(quiet.sendResolved == false)
        #expect(quiet.timeout == 2.5)
        let tpl = try #require(config.channel(named: "tpl"))
        #expect(tpl.sendResolved == true)
        #expect(tpl.timeout == 10)
        #expect(tpl.template == "{{ title }}")
    }

    @Test func everyChannelTypeLoadsWithItsKeys() throws {
        let config = try ConfigFixture.load("""
        channels:
          slack-bot: { type: slack, token: xoxb-1, channel: "#oncall" }
          teams: { type: teams, url: "https://prod.example/workflows/1" }
          mm: { type: mattermost, url: "https://mm.example/hooks/abc" }
          gchat: { type: google_chat, url: "https://chat.googleapis.com/v1/spaces/x/messages?key=k" }
          tg: { type: telegram, token: "123:abc", chat_id: "-100200" }
          pd: { type: pagerduty, routing_key: R0UT1NG }
          mail: { type: email, url: "smtp://mail.example:587", starttls: true, from: a@example.com, to: b@example.com }
          sg: { type: sendgrid, api_key: SG.x, from: a@example.com, to: [b@example.com, c@example.com] }
          mg: { type: mailgun, api_key: key-x, domain: mg.example.com, region: eu, from: a@example.com, to: [b@example.com] }
          pm: { type: postmark, server_token: pm-x, from: a@example.com, to: [b@example.com], url: "http://127.0.0.1:9/" }
        """)
        #expect(config.channels.map(\.type) == [
            .slack, .teams, .mattermost, .google_chat, .telegram, .pagerduty, .email, .sendgrid, .mailgun, .postmark,
        ])
        #expect(config.channel(named: "slack-bot")?.channel == "#oncall")
        #expect(config.channel(named: "tg")?.chatID == "-100200")
        #expect(config.channel(named: "pd")?.routingKey == "R0UT1NG")
        #expect(config.channel(named: "mail")?.starttls == true)
        #expect(config.channel(named: "mail")?.to == ["b@example.com"])
        #expect(config.channel(named: "sg")?.to == ["b@example.com", "c@example.com"])
        #expect(config.channel(named: "mg")?.region == "eu")
        #expect(config.channel(named: "mg")?.domain == "mg.example.com")
        #expect(config.channel(named: "pm")?.serverToken == "pm-x")
        #expect(config.channel(named: "pm")?.url == "http://127.0.0.1:9/")
    }

    @Test func projectWithoutNameIsNamedByID() throws {
        let config = try ConfigFixture.load("projects:\n  - { id: 7, keys: abc, signing_secret: whsec_x }\n")
        #expect(config.projects == [ProjectConfig(id: 7, name: "7", keys: ["abc"], signingSecret: "whsec_x")])
    }

    @Test func loadReadsTheFileAndRemembersItsPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("firebell.yaml").path
        try DesignExample.yaml.write(toFile: file, atomically: true, encoding: .utf8)

        let config = try ConfigLoader.load(path: file, environment: DesignExample.environment)
        #expect(config.sourcePath == file)
        #expect(config.channels.count == 4)
    }

    @Test func missingFileIsOneErrorAtLineZero() {
        let path = "/nonexistent/firebell-\(UUID().uuidString).yaml"
        #expect {
            try ConfigLoader.load(path: path, environment: [:])
        } throws: { error in
            guard let errors = error as? ConfigErrors, errors.errors.count == 1 else { return false }
            let error = errors.errors[0]
            return error.line == 0 && error.column == 0 && error.message.hasPrefix("config file not found")
                && errors.description.hasPrefix("\(path):0:0: config file not found")
        }
    }

    @Test func otlpListenIsASecondAddressNotTheFirst() throws {
        let config = try ConfigFixture.load("server: { listen: \"127.0.0.1:8470\", otlp_listen: \"127.0.0.1:4318\" }")
        #expect(config.server.otlpListen == ListenAddress(host: "127.0.0.1", port: 4318))
        #expect(try ConfigFixture.load("server: {}").server.otlpListen == nil)
        #expect(ConfigFixture.error("server: { otlp_listen: 4318 }")?.message
            == "server.otlp_listen: '4318' is not host:port (use e.g. 127.0.0.1:4318, OTLP/HTTP's port)")
        #expect(ConfigFixture.error("server: { listen: \"127.0.0.1:8470\", otlp_listen: \"127.0.0.1:8470\" }")?.message
            .contains("is server.listen itself") == true)
    }
}
