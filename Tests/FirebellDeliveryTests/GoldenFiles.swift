import FirebellCore
import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

/// The three alerts every channel's golden files show: an ordinary one (a new issue of a
/// fresh release), one whose text tries to ping everyone and inject headers, and one far
/// over every limit.
enum GoldenAlerts {
    static let now = Date(timeIntervalSince1970: 1_796_014_800)  // 2026-11-30T05:00:00Z

    static let ordinary = Alert(
        kind: .new, issueID: 42, projectID: 1, projectName: "checkout", severity: .critical,
        title: "PaymentError: card declined", culprit: "shop.pay in charge", level: .error,
        environment: "production", release: "1.4.2", score: 110,
        explanation: "score 110 ≥ 100: production errors +60, checkout path +30, new issue +20",
        count: 3, eventsSinceLastAlert: 1, userCount: 2, firstSeen: now.addingTimeInterval(-600), lastSeen: now,
        topFrames: ["shop.pay in charge (shop/pay.py:88)", "shop.web in checkout (shop/web.py:10)"], createdAt: now,
        links: [
            AlertLink(title: "URL", url: "https://shop.example/checkout?step=pay&order=1231")!,
            AlertLink(title: "Trace", url: "https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736")!,
        ],
        deploy: DeployContext(release: "1.4.2", firstSeen: now.addingTimeInterval(-250), newIssues: 3))

    static let hostileText = "<!channel> @here @everyone [click](https://evil) \r\nBcc: x@y"

    static var hostile: Alert {
        var alert = ordinary
        alert.title = "PaymentError: " + hostileText
        alert.culprit = hostileText
        alert.release = hostileText
        alert.deploy?.release = hostileText
        alert.environment = "prod\r\nBcc: x@y"
        alert.topFrames = [hostileText]
        // What `AlertLink` leaves of a hostile URL: no character that closes a channel's markup.
        alert.links = [AlertLink(title: "URL", url: "https://reporter.example/" + hostileText + " <@U123> <users/all> `x`")!]
        return alert
    }

    static var overLong: Alert {
        var alert = ordinary
        alert.title = "PaymentError: " + String(repeating: "card declined because the issuer said no. ", count: 400)
        alert.explanation = "score 110 ≥ 100: " + (1...300).map { "rule number \($0) +1" }.joined(separator: ", ")
        alert.topFrames = (1...200).map { "shop.module\($0) in function\($0) (shop/module\($0).py:\($0))" }
        return alert
    }

    static let context = DeliveryContext(baseURL: "http://firebell.example:8470", idempotencyKey: "firebell-42-7-test", now: now)
}

/// Compares an encoder's output with the checked-in file under `Golden/`; set
/// `FIREBELL_UPDATE_GOLDEN=1` to write the files instead (then review them by eye).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// A stable text form of a message: method, URL, headers, then the body (JSON pretty-printed with sorted keys).
    static func render(_ message: ChannelMessage) -> String {
        switch message {
        case .console(let text):
            return "CONSOLE\n\(text)\n"
        case .http(let request):
            var lines = ["\(request.method) \(request.url)"]
            lines += request.headers.map { "\($0.name): \($0.value)" }
            lines.append("")
            if let json = try? JSONSerialization.jsonObject(with: Data(request.body)),
               let pretty = try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                lines.append(String(decoding: pretty, as: UTF8.self))
            } else {
                lines.append(String(decoding: request.body, as: UTF8.self))
            }
            return lines.joined(separator: "\n") + "\n"
        case .mail(let mail):
            // The SMTP envelope and settings, then the message line by line. Lines are split
            // at CRLF only, so a bare CR or LF would show up as a visible \r or \n.
            var lines = ["SMTP \(mail.url)", "MAIL FROM:<\(mail.from)>"]
            lines += mail.recipients.map { "RCPT TO:<\($0)>" }
            lines.append("STARTTLS: \(mail.starttls ? "required" : "off"); AUTH: \(mail.username ?? "none"); timeout: \(mail.timeout)s")
            lines.append("")
            lines += String(decoding: mail.message, as: UTF8.self).components(separatedBy: "\r\n").map {
                $0.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            }
            return lines.joined(separator: "\n")
        }
    }

    static func check(_ message: ChannelMessage, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = directory.appendingPathComponent(name)
        let actual = render(message)
        if ProcessInfo.processInfo.environment["FIREBELL_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(actual == expected, "differs from Golden/\(name); run with FIREBELL_UPDATE_GOLDEN=1 and review the diff", sourceLocation: sourceLocation)
    }
}
