import FirebellCore
import FirebellCurl
import Foundation

/// The RFC 5322 message the `email` channel submits over SMTP: headers, then
/// a `multipart/alternative` body with a text/plain and a text/html part,
/// both UTF-8 in quoted-printable.
///
/// Deterministic for one (content, addresses, context): the boundary and
/// Message-ID come from the idempotency key and the alert, the Date from
/// `context.now`, so a retry sends the same Message-ID (receivers and
/// clients can drop a duplicate) and golden files are stable.
///
/// Every line ends in CRLF and no line passes 998 octets (headers are folded
/// at 76, quoted-printable at 76). Dot-stuffing is not done here: libcurl
/// does it while sending (see `CurlMultiLoop.send`).
struct MIMEMessage: Sendable {
    var headers: [String]
    var body: String

    init(content: EmailContent, from: EmailAddress, to: [EmailAddress], context: DeliveryContext) {
        let domain = from.domain
        let boundary = Self.boundary(for: context.idempotencyKey)
        var headers = [
            "Date: \(Self.date(context.now))",
            HeaderText.field("From", mailboxes: [from]),
            HeaderText.field("To", mailboxes: to),
            HeaderText.field("Subject", unstructured: content.subject),
            "Message-ID: \(Self.messageID(content: content, key: context.idempotencyKey, domain: domain))",
        ]
        if let thread = content.thread {
            if !thread.isFirst {
                let root = thread.rootMessageID(domain: domain)
                headers += ["In-Reply-To: \(root)", "References: \(root)"]
            }
            headers.append("X-Firebell-Issue: \(thread.issueID)")
        }
        headers += [
            // RFC 3834: machine-sent, so vacation responders stay quiet; the
            // second is what Exchange honours for the same purpose.
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: All",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        self.headers = headers
        body = [
            "This is a multi-part message in MIME format.",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(content.text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(content.html),
            "--\(boundary)--",
            "",
        ].joined(separator: "\r\n")
    }

    /// The whole message as sent: headers, an empty line, the body.
    var text: String {
        headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    var bytes: [UInt8] { Array(text.utf8) }

    // MARK: - Identifiers

    /// The message's own Message-ID. An issue's first alert carries the
    /// issue's root id (``EmailThread/rootMessageID(domain:)``); any other
    /// message `<{idempotency key}.{alert time}@{from domain}>` (a roll-up:
    /// its first alert's time), the key
    /// reduced to `[A-Za-z0-9_-]` (other bytes as `=XX`) and prefixed
    /// `firebell-` if it is not already.
    static func messageID(content: EmailContent, key: String, domain: String) -> String {
        if let thread = content.thread, thread.isFirst {
            return thread.rootMessageID(domain: domain)
        }
        var local = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                local.append(Character(Unicode.Scalar(byte)))
            default:
                local += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        if !local.hasPrefix("firebell-") { local = "firebell-" + local }
        if let decidedAt = content.decidedAt {
            local += ".\(Int64(decidedAt.timeIntervalSince1970.rounded(.down)))"
        }
        return "<\(local)@\(domain)>"
    }

    /// `=_firebell_` and 16 hex digits of an FNV-1a hash of the key. `=_`
    /// cannot occur in quoted-printable or base64 text, so the boundary
    /// cannot collide with a part's content whatever the alert says.
    static func boundary(for key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "=_firebell_" + String(hash, radix: 16).leftPadded(to: 16)
    }

    /// RFC 5322 §3.3 date-time in UTC: `Mon, 30 Nov 2026 05:00:00 +0000`.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { String(n ?? 0).leftPadded(to: 2) }
        return "\(days[(c.weekday ?? 1) - 1]), \(c.day ?? 1) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    // MARK: - Templates

    /// `mail` with its body replaced by `text` (a channel `template`'s
    /// output) as a single text/plain part; the headers, Message-ID and
    /// threading included, stay as they were.
    static func replacingBody(of mail: Mail, withText text: String) -> Mail {
        let message = String(decoding: mail.message, as: UTF8.self)
        let head = message.range(of: "\r\n\r\n").map { String(message[..<$0.lowerBound]) } ?? message
        // Header fields, each with its folded continuation lines.
        var fields: [String] = []
        for line in head.components(separatedBy: "\r\n") {
            if (line.hasPrefix(" ") || line.hasPrefix("\t")), !fields.isEmpty {
                fields[fields.count - 1] += "\r\n" + line
            } else {
                fields.append(line)
            }
        }
        fields.removeAll { field in
            let name = field.prefix { $0 != ":" }.lowercased()
            return name == "content-type" || name == "content-transfer-encoding"
        }
        fields += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
        var replaced = mail
        replaced.message = Array((fields.joined(separator: "\r\n") + "\r\n\r\n" + QuotedPrintable.encode(text) + "\r\n").utf8)
        return replaced
    }
}

/// RFC 2045 §6.7 quoted-printable for UTF-8 text.
enum QuotedPrintable {
    /// Encoded lines are at most this long, soft-break `=` included.
    static let lineLimit = 76

    /// Encodes `text`, whose line breaks (`\n`, `\r\n` or a lone `\r`) become
    /// hard CRLF breaks; longer lines get soft breaks (`=` CRLF). Non-ASCII
    /// bytes, `=`, control characters, and a space or tab ending a line are
    /// written as `=XX`. No trailing CRLF.
    static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalized.components(separatedBy: "\n")
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        return lines.map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var out: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token: String
            switch byte {
            case 0x21...0x3C, 0x3E...0x7E:
                token = String(Character(Unicode.Scalar(byte)))
            case 0x20, 0x09:
                token = isLast ? hex(byte) : String(Character(Unicode.Scalar(byte)))
            default:
                token = hex(byte)
            }
            // Room for the token, plus the `=` of a soft break unless this is the line's last token.
            if current.count + token.count + (isLast ? 0 : 1) > lineLimit {
                out.append(current + "=")
                current = ""
            }
            current += token
        }
        out.append(current)
        return out.joined(separator: "\r\n")
    }

    private static func hex(_ byte: UInt8) -> String {
        "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
