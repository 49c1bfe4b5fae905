import FirebellCore
import FirebellCurl
import Foundation

/// `firebell send-test CHANNEL`: one sample alert through one channel, exactly as
/// the outbox would send it, and the receiver's answer for the operator to read.
public enum SendTest {
    public struct Outcome: Sendable {
        /// The receiver took it (by that channel's own success rule).
        public var accepted: Bool
        /// What to print: the receiver's status and body, or why it could not be sent.
        public var report: String
    }

    /// A plausible critical alert, marked as a test in its title.
    public static func sampleAlert(projectName: String, now: Date) -> Alert {
        Alert(
            kind: .new, issueID: 0, projectID: 0, projectName: projectName, severity: .critical,
            title: "Firebell test alert: this channel works", culprit: "firebell send-test", level: .error,
            environment: "test", release: nil, score: 100, explanation: "score 100 ≥ 100: send-test +100",
            count: 1, eventsSinceLastAlert: 1, userCount: 0, firstSeen: now, lastSeen: now,
            topFrames: ["firebell in send-test"], createdAt: now)
    }

    public static func run(
        _ channel: ChannelConfig, baseURL: String, projectName: String, curl: CurlMultiLoop, now: Date = Date(),
        console: @Sendable (String) -> Void = ConsoleOutput.write
    ) async -> Outcome {
        guard let encoder = ChannelRegistry.encoder(for: channel) else {
            return Outcome(accepted: false, report: "channel type '\(channel.type.rawValue)' has no encoder in this build")
        }
        let alert = sampleAlert(projectName: projectName, now: now)
        let context = DeliveryContext(baseURL: baseURL, idempotencyKey: "firebell-send-test-\(Int(now.timeIntervalSince1970))", now: now)
        var message: ChannelMessage
        do {
            message = try encoder.encode(alert, context: context)
            if let source = channel.template {
                message = encoder.applying(template: try ChannelTemplate(source).render(alert, baseURL: baseURL), to: message)
            }
        } catch {
            return Outcome(accepted: false, report: "could not encode the sample alert: \(error)")
        }
        switch message {
        case .console(let text):
            console(text)
            return Outcome(accepted: true, report: "printed on standard output")
        case .mail(let mail):
            let target = "SMTP \(redacted(mail.url)) to \(mail.recipients.joined(separator: ", "))"
            do {
                let receipt = try await curl.send(mail)
                return Outcome(accepted: true, report: "\(target)\nSMTP \(receipt.responseCode)\n\(receipt.reply.isEmpty ? "(no reply text)" : receipt.reply)")
            } catch {
                return Outcome(accepted: false, report: "\(target)\n\(error.description)")
            }
        case .http(let request):
            do {
                let response = try await curl.perform(request)
                let verdict = encoder.verdict(on: response)
                let body = response.bodyText.isEmpty ? "(empty body)" : response.bodyText
                return Outcome(accepted: verdict == .accepted, report: "\(request.method) \(redacted(request.url))\nHTTP \(response.status)\n\(body)")
            } catch {
                return Outcome(accepted: false, report: "\(request.method) \(redacted(request.url))\n\(error.description)")
            }
        }
    }

    /// Hides secrets carried in URLs (Slack/Discord webhook paths, Telegram bot tokens) in what is printed.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        let parts = components.path.split(separator: "/", omittingEmptySubsequences: false)
        components.path = parts.map { part in
            part.count > 16 || part.hasPrefix("bot") && part.count > 8 ? part.prefix(4) + "…" : part
        }.joined(separator: "/")
        components.query = components.query.map { _ in "…" }
        return components.string ?? url
    }
}
