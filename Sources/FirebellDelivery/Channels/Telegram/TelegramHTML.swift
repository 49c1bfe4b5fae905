import Foundation

/// Telegram's HTML formatting, built from parts so that untrusted text is always
/// escaped and the markup is always well formed, even when the text is cut.
///
/// Telegram limits a message to 4,096 characters *after entity parsing*: what the
/// reader sees, without the tags and with `&lt;` counted as one. That is exactly the
/// parts' unescaped text, counted here in UTF-16 code units as Telegram counts (an
/// emoji is two), so the budget is exact rather than a guess from the markup's length.
enum TelegramHTML {
    static let textLimit = 4096

    enum Part {
        case text(String)
        case bold(String)
        /// Preformatted (monospace) block.
        case pre(String)
        case link(href: String, label: String)

        /// What the reader sees.
        var visible: String {
            switch self {
            case .text(let text), .bold(let text), .pre(let text): text
            case .link(_, let label): label
            }
        }

        /// The same part showing `text` instead.
        func showing(_ text: String) -> Part {
            switch self {
            case .text: .text(text)
            case .bold: .bold(text)
            case .pre: .pre(text)
            case .link(let href, _): .link(href: href, label: text)
            }
        }

        var html: String {
            switch self {
            case .text(let text): escape(text)
            case .bold(let text): "<b>\(escape(text))</b>"
            case .pre(let text): "<pre>\(escape(text))</pre>"
            case .link(let href, let label): "<a href=\"\(escape(href, quotes: true))\">\(escape(label))</a>"
            }
        }
    }

    /// `body` then `tail`, within `limit` visible characters: `tail` (the link) is always
    /// kept; `body` is cut with the truncation marker where the budget runs out.
    static func render(_ body: [Part], tail: [Part], limit: Int = textLimit) -> String {
        let body = body.map { $0.showing(defuseMentions($0.visible)) }
        let tail = tail.map { $0.showing(defuseMentions($0.visible)) }
        var budget = limit - tail.reduce(0) { $0 + $1.visible.utf16.count }
        var out = ""
        for part in body {
            let size = part.visible.utf16.count
            if size <= budget {
                out += part.html
                budget -= size
                continue
            }
            if budget > Truncation.marker.utf16.count {
                out += part.showing(cut(part.visible, toUTF16: budget)).html
            }
            break
        }
        return out + tail.map(\.html).joined()
    }

    /// Telegram turns `@username` in plain text into a mention, and a mentioned member
    /// of the chat is notified, so an event saying `@alice` would page Alice. A WORD
    /// JOINER (U+2060, invisible) after each `@` keeps the text as it reads while no
    /// username follows the `@` any more.
    static func defuseMentions(_ text: String) -> String {
        guard text.contains("@") else { return text }
        return text.replacingOccurrences(of: "@", with: "@\u{2060}")
    }

    /// What the HTML parse mode asks of text outside tags: `&`, `<`, `>` as entities;
    /// inside an attribute value also `"`. (Telegram knows `&lt; &gt; &amp; &quot;`.)
    static func escape(_ text: String, quotes: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quotes: out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `text` within `limit` UTF-16 code units, the marker included when cut; never
    /// splits a character.
    static func cut(_ text: String, toUTF16 limit: Int) -> String {
        guard text.utf16.count > limit else { return text }
        let room = limit - Truncation.marker.utf16.count
        guard room > 0 else { return "" }
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf16.count
            if used + size > room { break }
            used += size
            end = text.index(after: index)
        }
        return String(text[..<end]) + Truncation.marker
    }
}
