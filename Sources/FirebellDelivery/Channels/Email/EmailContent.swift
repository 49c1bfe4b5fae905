import FirebellCore
import Foundation

/// What every mail channel sends, whether over SMTP (`email`) or a mail API
/// (`sendgrid`, `mailgun`, `postmark`): a one-line subject, a text/plain body
/// and an HTML body, plus what threading needs.
///
/// Untrusted text (titles, culprits, releases, frames, explanations) is made
/// inert here: flattened to one line where it stands for one line (so a
/// `\r\nBcc: x@y` inside a title cannot even look like a header in the
/// body), and HTML-escaped in the HTML body. Header encoding (RFC 2047) is
/// ``HeaderText``'s job, applied by `MIMEMessage`; mail APIs encode headers
/// themselves and get the plain subject.
struct EmailContent: Sendable, Equatable {
    /// Subjects are cut to this many characters, marker included.
    static let subjectLimit = 200
    /// A title, fact or roll-up line inside a body is cut to this many characters.
    static let lineLimit = 2000
    /// At most this many top frames are listed; the rest are counted.
    static let frameLimit = 50

    /// One line, no control characters, at most ``subjectLimit`` characters.
    var subject: String
    /// Lines separated by `\n` (the MIME encoder writes CRLF).
    var text: String
    var html: String
    /// The issue this message is about, for `X-Firebell-Issue` and threading; `nil` for
    /// roll-ups, except an incident's follow-up (the issue of the incident's first page).
    var thread: EmailThread?
    /// When the alert (a roll-up's first alert) was decided: part of the
    /// message's own Message-ID, so ids stay unique even if a reset store
    /// hands out the same issue and outbox numbers again. Same on every retry.
    var decidedAt: Date?

    init(_ alert: Alert, baseURL: String) {
        let text = AlertText(alert, baseURL: baseURL)
        let headline = Self.line(text.headline)
        subject = Truncation.cut(headline, to: Self.subjectLimit)
        thread = EmailThread(issueID: alert.issueID, firstSeen: alert.firstSeen, isFirst: alert.kind == .new)
        decidedAt = alert.createdAt

        let facts = text.facts.map { (label: $0.label, value: Self.line($0.value)) }
        var frames = alert.topFrames.prefix(Self.frameLimit).map { Truncation.cut(Self.line($0), to: 300) }
        if alert.topFrames.count > Self.frameLimit {
            frames.append("… and \(alert.topFrames.count - Self.frameLimit) more frames")
        }
        let linkLabel = "Open issue #\(alert.issueID) in Firebell"

        let deploy = text.deployLine.map { Truncation.cut(Self.line($0), to: Self.lineLimit) }
        var plain = [headline, text.whatHappened]
        if let deploy { plain.append(deploy) }
        plain.append("")
        plain += facts.map { "\($0.label): \($0.value)" }
        if !frames.isEmpty {
            plain += ["", "Top frames:"] + frames.map { "  \($0)" }
        }
        plain += [""] + text.links.map { "\($0.title): \($0.url)" } + ["\(linkLabel): \(text.link)"]
        self.text = plain.joined(separator: "\n") + "\n"

        let tone = Self.tone(kind: alert.kind, severity: alert.severity)
        var body = [
            "<h2 style=\"margin:0 0 8px 0;color:\(tone)\">\(HTML.escape(headline))</h2>",
            "<p style=\"margin:0 0 12px 0\"><strong>\(HTML.escape(text.whatHappened))</strong>"
                + (deploy.map { "<br>\(HTML.escape($0))" } ?? "") + "</p>",
            "<table cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse:collapse\">",
        ]
        body += facts.map {
            "<tr><th align=\"left\" valign=\"top\" style=\"padding-right:12px\">\(HTML.escape($0.label))</th><td>\(HTML.escape($0.value))</td></tr>"
        }
        body.append("</table>")
        if !frames.isEmpty {
            body.append("<p style=\"margin:12px 0 4px 0\"><strong>Top frames</strong></p>")
            body.append("<pre style=\"margin:0;padding:8px;background:#f4f4f4\">\(frames.map(HTML.escape).joined(separator: "\n"))</pre>")
        }
        let links = text.links.map { "<a href=\"\(HTML.escape($0.url))\">\(HTML.escape($0.title))</a> · " }.joined()
        body.append("<p style=\"margin:12px 0 0 0\">\(links)<a href=\"\(HTML.escape(text.link))\">\(HTML.escape(linkLabel))</a></p>")
        html = Self.document(title: subject, body: body)
    }

    init(_ rollUp: RollUp, baseURL: String) {
        let headline = Self.line(rollUp.headline)
        subject = Truncation.cut(headline, to: Self.subjectLimit)
        // An incident's follow-up answers its first page (`In-Reply-To`); other roll-ups stand alone.
        thread = rollUp.incident?.firstPage.map { EmailThread(issueID: $0.issueID, firstSeen: $0.firstSeen, isFirst: false) }
        decidedAt = rollUp.alerts.first?.createdAt
        let lines = rollUp.lines(baseURL: baseURL).map(Self.line)
        text = ([headline, ""] + lines).joined(separator: "\n") + "\n"
        let tone = Self.tone(kind: .new, severity: rollUp.severity)
        var body = ["<h2 style=\"margin:0 0 8px 0;color:\(tone)\">\(HTML.escape(headline))</h2>", "<ul>"]
        body += lines.map { "<li>\(HTML.escape($0))</li>" }
        body.append("</ul>")
        html = Self.document(title: subject, body: body)
    }

    /// Untrusted text that stands for one line: control characters (line
    /// breaks included) become one space, and it is cut to ``lineLimit``.
    static func line(_ text: String) -> String {
        Truncation.cut(HeaderText.sanitize(text), to: lineLimit)
    }

    private static func tone(kind: AlertKind, severity: Severity) -> String {
        if kind == .resolved { return "#1b7f3b" }
        return severity == .critical ? "#b00020" : "#a15c00"
    }

    private static func document(title: String, body: [String]) -> String {
        ([
            "<!DOCTYPE html>",
            "<html>",
            "<head><meta charset=\"utf-8\"><title>\(HTML.escape(title))</title></head>",
            "<body style=\"font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222\">",
        ] + body + ["</body>", "</html>"]).joined(separator: "\n") + "\n"
    }
}

/// Which issue a message belongs to, so every message about one issue lands
/// in one thread in the reader's mail client.
///
/// The scheme (see ``rootMessageID(domain:)``): the issue's first alert
/// (kind `new`) carries the issue's root Message-ID; every later alert of
/// the issue (repeat, escalation, regression, resolve) has its own
/// Message-ID and names the root in `In-Reply-To` and `References`. Clients
/// that thread by references (Thunderbird, Apple Mail, mutt, Outlook's
/// conversation view) group them; if the first alert never went to this
/// channel, they still group the follow-ups under the missing root. The
/// root is derived, not stored: it is the same on every retry and needs
/// nothing from the receiver.
struct EmailThread: Sendable, Equatable {
    var issueID: Int64
    /// The issue's first-seen time: part of the root id, so issue 42 of a
    /// store that was reset (or of another Firebell sending from the same
    /// domain) does not collide with an older issue 42. Never changes for an issue.
    var firstSeen: Date
    /// The issue's first alert (kind `new`), which carries the root id.
    var isFirst: Bool

    /// `<firebell-issue-42.1796014200@example.com>`
    func rootMessageID(domain: String) -> String {
        "<firebell-issue-\(issueID).\(Int64(firstSeen.timeIntervalSince1970.rounded(.down)))@\(domain)>"
    }
}

/// Header text: what may reach a header, and how non-ASCII gets there.
enum HeaderText {
    /// Control characters never reach a header or a one-line field: C0
    /// (CR, LF, TAB, NUL…), DEL, C1 (NEL among them) and the Unicode line
    /// and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    /// Each run of control characters becomes one space; leading and
    /// trailing blanks are dropped.
    static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var inRun = false
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                if !inRun { out.append(" ") }
                inRun = true
            } else {
                out.append(scalar)
                inRun = false
            }
        }
        return String(out).trimmingCharacters(in: .whitespaces)
    }

    /// Whether `text` must be RFC 2047-encoded: it is not ASCII, or it holds
    /// `=?`, which a reader would take for the start of an encoded-word.
    static func needsEncoding(_ text: String) -> Bool {
        !text.unicodeScalars.allSatisfy(\.isASCII) || text.contains("=?")
    }

    /// Bytes of UTF-8 per encoded-word: `=?UTF-8?B?` + base64 of 39 bytes
    /// (52 characters) + `?=` is 64 characters, so even `Subject: ` and one
    /// word fit RFC 2047's 76-character line limit for encoded-words.
    static let bytesPerWord = 39

    /// A header line is folded before it would pass this many characters
    /// (RFC 2047 §2 for lines with encoded-words; within RFC 5322's 78).
    static let lineLimit = 76

    /// `text` as RFC 2047 `B` encoded-words (`=?UTF-8?B?…?=`), split only
    /// between characters, never inside a UTF-8 sequence. Adjacent
    /// encoded-words decode to the text with nothing between them, so
    /// folding between them is lossless.
    static func encodedWords(_ text: String) -> [String] {
        var chunks: [[UInt8]] = []
        var current: [UInt8] = []
        func add(_ bytes: [UInt8]) {
            if current.count + bytes.count > bytesPerWord, !current.isEmpty {
                chunks.append(current)
                current = []
            }
            current += bytes
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= bytesPerWord {
                add(bytes)
            } else {
                // One grapheme longer than a word (a long emoji sequence): split between its scalars.
                for scalar in character.unicodeScalars {
                    add(Array(String(scalar).utf8))
                }
            }
        }
        if !current.isEmpty || chunks.isEmpty { chunks.append(current) }
        return chunks.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }
    }

    /// An unstructured header (`Subject`) as tokens to fold: encoded-words
    /// when the text needs encoding, else its space-separated words.
    /// `value` must already be free of control characters.
    static func unstructured(_ value: String) -> [String] {
        needsEncoding(value) ? encodedWords(value) : value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    /// One complete header field, `Name: value`, from tokens each preceded
    /// by its separator (`""` for the first, `" "` or `", "`), folded with
    /// CRLF + space before a token that would take the line past
    /// ``lineLimit``. The fold replaces the separator's space, so unfolding
    /// (deleting the CRLF) gives back the value exactly.
    static func field(_ name: String, _ tokens: [(separator: String, text: String)]) -> String {
        var lines = ["\(name):"]
        var first = true
        for (separator, text) in tokens {
            let joiner = first ? " " : separator
            if !first, lines[lines.count - 1].count + joiner.count + text.count > lineLimit {
                lines[lines.count - 1] += joiner.hasSuffix(" ") ? String(joiner.dropLast()) : joiner
                lines.append(" " + text)
            } else {
                lines[lines.count - 1] += joiner + text
            }
            first = false
        }
        return lines.joined(separator: "\r\n")
    }

    /// `Subject: …` and the like.
    static func field(_ name: String, unstructured value: String) -> String {
        field(name, unstructured(value).map { (separator: " ", text: $0) })
    }

    /// `From: …` / `To: …`: mailboxes separated by `, `.
    static func field(_ name: String, mailboxes: [EmailAddress]) -> String {
        var tokens: [(separator: String, text: String)] = []
        for (index, mailbox) in mailboxes.enumerated() {
            for (position, token) in mailbox.headerTokens.enumerated() {
                tokens.append((separator: position > 0 ? " " : (index > 0 ? ", " : ""), text: token))
            }
        }
        return field(name, tokens)
    }
}

/// Escaping for text placed in HTML element content or a quoted attribute value.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
