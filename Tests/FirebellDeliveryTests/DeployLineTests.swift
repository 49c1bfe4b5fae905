import FirebellCore
import Foundation
import Testing

@testable import FirebellDelivery

/// Every channel shows an alert's deploy context as one line ("3 new issues since
/// shop@2.0.0 (first seen 4 min ago)"), and nothing when the alert carries none or is a
/// resolve. (How each escapes it is in the golden files: the hostile alert's release.)
struct DeployLineTests {
    static let yaml = """
        projects:
          - { id: 1, name: shop, keys: [k] }
        channels:
          console: { type: console }
          slack: { type: slack, url: "http://hooks.test/slack" }
          slack-bot: { type: slack, token: xoxb-1, channel: "#oncall" }
          discord: { type: discord, url: "http://hooks.test/discord" }
          teams: { type: teams, url: "http://hooks.test/teams" }
          mattermost: { type: mattermost, url: "http://hooks.test/mattermost" }
          gchat: { type: google_chat, url: "http://hooks.test/gchat" }
          telegram: { type: telegram, token: "1:abc", chat_id: "-100" }
          pager: { type: pagerduty, routing_key: key }
          audit: { type: webhook, url: "http://hooks.test/audit" }
          email: { type: email, url: "smtps://smtp.test:465", from: a@shop.example, to: [b@shop.example] }
          sendgrid: { type: sendgrid, api_key: k, from: a@shop.example, to: [b@shop.example] }
          mailgun: { type: mailgun, api_key: k, domain: mg.shop.example, from: a@shop.example, to: [b@shop.example] }
          postmark: { type: postmark, server_token: k, from: a@shop.example, to: [b@shop.example] }
        routes:
          - notify: [console, slack, slack-bot, discord, teams, mattermost, gchat, telegram, pager, audit, email, sendgrid, mailgun, postmark]
        """

    static func encoders() throws -> [(name: String, encoder: any ChannelEncoder)] {
        let config = try ConfigLoader.parse(yaml: yaml, path: "d.yaml", environment: [:])
        return try config.channels.map { channel in
            (channel.name, try #require(ChannelRegistry.encoder(for: channel), "\(channel.name)"))
        }
    }

    static var alert: Alert {
        var alert = GoldenAlerts.ordinary
        alert.release = "shop@2.0.0"
        alert.deploy = DeployContext(release: "shop@2.0.0", firstSeen: alert.createdAt.addingTimeInterval(-250), newIssues: 3)
        return alert
    }

    /// The message as text: form encoding, quoted-printable soft breaks, Markdown escapes
    /// and the invisible characters that keep `@` from mentioning undone.
    static func text(_ message: ChannelMessage) -> String {
        var text = Golden.render(message)
        if text.contains("application/x-www-form-urlencoded") { text = text.removingPercentEncoding ?? text }
        return text.replacingOccurrences(of: "=\n", with: "").replacingOccurrences(of: "\\", with: "")
            .replacingOccurrences(of: "\u{200B}", with: "").replacingOccurrences(of: "\u{2060}", with: "")
    }

    @Test func everyChannelShowsTheDeployLine() throws {
        let encoders = try Self.encoders()
        #expect(encoders.count == ChannelType.allCases.count + 1)
        for (name, encoder) in encoders {
            let text = Self.text(try encoder.encode(Self.alert, context: GoldenAlerts.context))
            #expect(text.contains("3 new issues since shop@2.0.0 (first seen 4 min ago)"), "\(name)")
        }
    }

    @Test func noChannelSaysAnythingOfADeployWithoutOneOrOnAResolve() throws {
        var none = Self.alert
        none.deploy = nil
        var resolved = Self.alert
        resolved.kind = .resolved
        for (name, encoder) in try Self.encoders() {
            for alert in [none, resolved] {
                let text = Self.text(try encoder.encode(alert, context: GoldenAlerts.context))
                #expect(!text.contains("since shop@2.0.0"), "\(name) \(alert.kind)")
            }
        }
    }
}
