import Foundation

/// What the HTTP mail APIs (`sendgrid`, `mailgun`, `postmark`) share: the
/// API base and its `url` override, secret checks, and the extra headers
/// they are asked to add (the same as the `email` channel's, so filters and
/// threading work whichever way the mail went).
enum MailAPI {
    /// `base` (the channel's `url`, for a proxy, another region or a test
    /// receiver) or `standard`, without a trailing slash, then `path`.
    static func endpoint(base: String?, standard: String, path: String) throws(MailConfigError) -> String {
        var root = base ?? standard
        guard let components = URLComponents(string: root),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              components.host?.isEmpty == false,
              !root.unicodeScalars.contains(where: HeaderText.isControl)
        else {
            throw MailConfigError("url: expected the API base as https://host, got \"\(HeaderText.sanitize(root))\"")
        }
        while root.hasSuffix("/") { root.removeLast() }
        return root + path
    }

    /// An API key or token must be one line: it goes into a request header.
    static func checkSecret(_ value: String, key: String) throws(MailConfigError) {
        guard !value.isEmpty, !value.unicodeScalars.contains(where: HeaderText.isControl) else {
            throw MailConfigError("\(key): must be a non-empty single line")
        }
    }

    static func sender(_ from: String) throws(MailConfigError) -> EmailAddress {
        do {
            return try EmailAddress(parsing: from)
        } catch {
            throw MailConfigError("from: \(error.message)")
        }
    }

    /// Headers to add to the message, in order: `X-Firebell-Issue`, the
    /// threading pair for follow-ups (the provider sets the Message-ID, so
    /// the root is named but never carried; see ``EmailThread``), and the
    /// auto-reply suppressors.
    static func extraHeaders(_ content: EmailContent, from: EmailAddress) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let thread = content.thread {
            headers.append((name: "X-Firebell-Issue", value: "\(thread.issueID)"))
            if !thread.isFirst {
                let root = thread.rootMessageID(domain: from.domain)
                headers += [(name: "In-Reply-To", value: root), (name: "References", value: root)]
            }
        }
        headers += [(name: "Auto-Submitted", value: "auto-generated"), (name: "X-Auto-Response-Suppress", value: "All")]
        return headers
    }
}
