import Foundation

/// Why a mail channel's settings cannot be used: a bad `from`/`to` address,
/// a URL of the wrong scheme, an unknown region. Raised by the mail channels'
/// initialisers, so `check-config` and the registry can report it.
public struct MailConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One mailbox of a channel's `from` or `to`: `alerts@example.com`,
/// `Firebell <alerts@example.com>`, `"Ops, EU" <ops@example.com>` or
/// `<ops@example.com>`.
///
/// Parsing refuses anything that could smuggle a header or an SMTP command:
/// line breaks and other control characters, stray or repeated `<` `>`, and
/// addresses outside plain ASCII `local@domain` (an international domain is
/// written in its `xn--` form). The display name may be any text; in a
/// header it is quoted, or RFC 2047-encoded when it is not ASCII.
public struct EmailAddress: Sendable, Equatable {
    /// The display name, unquoted and unescaped; `nil` when there is none.
    public let name: String?
    /// The bare address (addr-spec), ASCII: `alerts@example.com`.
    public let address: String

    public init(name: String? = nil, address: String) throws(MailConfigError) {
        try self.init(parsing: name.map { "\"\(Self.quotedContent($0))\" <\(address)>" } ?? address)
    }

    public init(parsing input: String) throws(MailConfigError) {
        func fail(_ why: String) -> MailConfigError {
            MailConfigError("invalid email address \(Self.describe(input)): \(why)")
        }
        if input.unicodeScalars.contains(where: HeaderText.isControl) {
            throw fail("it contains a line break or another control character")
        }
        let text = input.trimmingCharacters(in: .whitespaces)
        let opens = text.filter { $0 == "<" }.count
        let closes = text.filter { $0 == ">" }.count
        var name: String?
        var address: String
        if opens == 0 && closes == 0 {
            address = text
        } else {
            guard opens == 1, closes == 1, text.hasSuffix(">"), let open = text.firstIndex(of: "<") else {
                throw fail("write it as `Name <local@domain>` or `local@domain`")
            }
            address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            var display = text[..<open].trimmingCharacters(in: .whitespaces)
            if display.count >= 2, display.hasPrefix("\""), display.hasSuffix("\"") {
                display = Self.unquote(String(display.dropFirst().dropLast()))
            } else if display.contains("\"") {
                throw fail("a quoted display name must be quoted as a whole")
            }
            name = display.isEmpty ? nil : display
        }
        address = address.trimmingCharacters(in: .whitespaces)
        if let problem = Self.problem(with: address) {
            throw fail(problem)
        }
        self.name = name
        self.address = address
    }

    /// The part after `@`.
    public var domain: String {
        address.split(separator: "@").last.map(String.init) ?? address
    }

    /// For a `From:`/`To:` header: the display name as atoms, a quoted
    /// string, or RFC 2047 encoded-words (non-ASCII, or text that would read
    /// as an encoded-word), then `<address>`; as tokens a header may be
    /// folded between.
    var headerTokens: [String] {
        guard let name, !name.isEmpty else { return [address] }
        let phrase: [String]
        if HeaderText.needsEncoding(name) {
            phrase = HeaderText.encodedWords(name)
        } else if name.unicodeScalars.allSatisfy({ Self.isAtext($0) || $0 == " " }), !name.hasPrefix(" "), !name.hasSuffix(" "), !name.contains("  ") {
            phrase = name.split(separator: " ").map(String.init)
        } else {
            phrase = ["\"\(Self.quotedContent(name))\""]
        }
        return phrase + ["<\(address)>"]
    }

    /// The mailbox on one line, as in a header.
    public var headerValue: String {
        headerTokens.joined(separator: " ")
    }

    /// For mail APIs that take `Name <address>` as a string and encode it
    /// themselves: the name stays UTF-8, quoted when it has specials.
    public var displayValue: String {
        guard let name, !name.isEmpty else { return address }
        if name.unicodeScalars.allSatisfy({ Self.isAtext($0) || $0 == " " || $0.value > 0x7F }) {
            return "\(name) <\(address)>"
        }
        return "\"\(Self.quotedContent(name))\" <\(address)>"
    }

    /// Parses each of `inputs`, dropping repeats of an address (compared
    /// case-insensitively); at least one is required.
    static func list(_ inputs: [String], key: String) throws(MailConfigError) -> [EmailAddress] {
        guard !inputs.isEmpty else { throw MailConfigError("\(key): at least one recipient is needed") }
        var seen = Set<String>()
        var result: [EmailAddress] = []
        for input in inputs {
            let parsed: EmailAddress
            do {
                parsed = try EmailAddress(parsing: input)
            } catch {
                throw MailConfigError("\(key): \(error.message)")
            }
            if seen.insert(parsed.address.lowercased()).inserted {
                result.append(parsed)
            }
        }
        return result
    }

    // MARK: - Grammar

    /// RFC 5322 `atext`.
    static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~": true
        default: false
        }
    }

    /// Why `address` is not a plain `local@domain`, or `nil` if it is.
    static func problem(with address: String) -> String? {
        guard address.unicodeScalars.allSatisfy(\.isASCII) else {
            return "only ASCII addresses are supported; write an international domain in its xn-- form"
        }
        guard !address.isEmpty else { return "the address is empty" }
        guard address.count <= 254 else { return "the address is longer than 254 characters" }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "an address has exactly one @" }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.count <= 64 else { return "the part before @ must be 1 to 64 characters" }
        guard local.unicodeScalars.allSatisfy({ isAtext($0) || $0 == "." }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else {
            return "the part before @ may hold letters, digits, dots and !#$%&'*+-/=?^_`{|}~ (no quoted local parts)"
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let labelsValid = !domain.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
        guard labelsValid else { return "the domain must be dot-separated labels of letters, digits and hyphens" }
        return nil
    }

    /// Escapes `\` and `"` for the inside of a quoted string.
    static func quotedContent(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    private static func unquote(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The input as it may appear in an error message: control characters shown, length capped.
    private static func describe(_ input: String) -> String {
        let visible = input.unicodeScalars.map { HeaderText.isControl($0) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\"\(visible.count > 120 ? String(visible.prefix(120)) + "…" : visible)\""
    }
}
