/// Turns an error message into a grouping template, so that "Payment failed for
/// order 1231" and "Payment failed for order 1232" land in the same issue.
///
/// It runs on every ingested event, so it is one forward scan over the UTF-8
/// bytes with a fixed amount of work per byte: no regexes, no backtracking,
/// no allocation beyond the output. Only ASCII bytes are ever inspected;
/// everything else is copied through, which keeps the output valid UTF-8.
public enum Parameterizer {
    /// Replaces variable parts with placeholders: <email>, <url>, <ip>, <uuid>, <hash>, <hex>, <date>, <duration>, <float>, <int>.
    ///
    /// - The text is split into tokens on ASCII whitespace, which comes out as
    ///   single spaces, trimmed at both ends.
    /// - Inside a token, quotes, brackets of all kinds (including `<>`, so
    ///   placeholders stay intact), `,` `;` `=` `/` and a trailing run of
    ///   `.` `:` `!` `?` are boundaries, copied verbatim. So `id=42,` becomes
    ///   `id=<int>,`, `{UUID}` becomes `{<uuid>}` and `/orders/7` becomes
    ///   `/orders/<int>`. URLs are found first, so their own `/`, `?` and `=`
    ///   don't split them.
    /// - Each piece between boundaries is classified whole, first match wins,
    ///   in the order of `Kind`. A piece that matches nothing is split at `:`
    ///   and each part classified the same way (so `10.0.0.1:8080` becomes
    ///   `<ip>:<int>` and `key:<UUID>` becomes `key:<uuid>`); what still
    ///   matches nothing keeps its letters and has each digit run replaced by
    ///   `<int>` (`v1.4.2` becomes `v<int>.<int>.<int>`).
    /// - Hex-like classes (hash, hex, IPv6) need at least one digit, so words
    ///   like `cafe`, `deadbeef` or `cafe::beef` never turn into placeholders.
    /// - Non-ASCII text, including non-ASCII spaces and digits, is copied
    ///   through unchanged.
    ///
    /// The result contains no ASCII digits, and applying the function again
    /// returns it unchanged.
    public static func parameterize(_ text: String) -> String {
        var text = text
        return text.withUTF8 { input in
            var scanner = TemplateScanner(input: input)
            scanner.scanMessage()
            return String(decoding: scanner.output, as: UTF8.self)
        }
    }
}

extension Parameterizer {
    /// The kinds of variable text the parameterizer recognises, in the order it tries them.
    enum Kind {
        /// `scheme://…` with a scheme starting with a letter, e.g. `https://shop.example/a?b=1`.
        case url
        /// `local@domain.tld` with a letters-only top-level domain, e.g. `ann@shop.example`.
        case email
        /// 8-4-4-4-12 hex digits in any case, e.g. `3f2504e0-4f89-11d3-9a0c-0305e82c3301`.
        case uuid
        /// Dotted IPv4 with octets 0–255 (`10.0.0.1`), or IPv6 with at least one digit (`fe80::1`).
        case ip
        /// ISO 8601 date, date-time or `HH:MM:SS` time, e.g. `2026-11-30T05:00:00.250+01:00`.
        case date
        /// 32, 40, 64 or 128 hex digits with at least one digit and one letter (MD5, SHA-1, SHA-256, SHA-512).
        case hash
        /// `0x`-prefixed hex, or at least 8 hex digits mixing digits and letters, e.g. `a1b2c3d4`.
        case hex
        /// A number with a unit (ns, us, µs, ms, s, m, min, h, d), alone or Go-style chained: `250ms`, `1h30m`.
        case duration
        /// A decimal fraction or exponent with an optional sign: `-3.14`, `2.0`, `1e-9`.
        case float
        /// Digits with an optional sign, and every digit run left in a token that is nothing else.
        case int

        var placeholder: StaticString {
            switch self {
            case .url: "<url>"
            case .email: "<email>"
            case .uuid: "<uuid>"
            case .ip: "<ip>"
            case .date: "<date>"
            case .hash: "<hash>"
            case .hex: "<hex>"
            case .duration: "<duration>"
            case .float: "<float>"
            case .int: "<int>"
            }
        }

        /// Classifies a whole piece of text that contains no boundary byte.
        /// URLs are found earlier, while scanning, so they are not tried here.
        static func classify(_ piece: UnsafeBufferPointer<UInt8>) -> Kind? {
            if PieceGrammar.isEmail(piece) { return .email }
            if PieceGrammar.isUUID(piece) { return .uuid }
            if PieceGrammar.isIPv4(piece) || PieceGrammar.isIPv6(piece) { return .ip }
            if PieceGrammar.isDateOrTime(piece) { return .date }
            if PieceGrammar.isHash(piece) { return .hash }
            if PieceGrammar.isHex(piece) { return .hex }
            if PieceGrammar.isDuration(piece) { return .duration }
            if PieceGrammar.isFloat(piece) { return .float }
            if PieceGrammar.isInt(piece) { return .int }
            return nil
        }
    }

    /// Walks a message once, copying it to `output` with variable parts replaced.
    ///
    /// Nesting is fixed and shallow (token → piece → `:` part → text between digit
    /// runs), and each level classifies its range a constant number of times, so
    /// the whole scan stays linear in the input.
    fileprivate struct TemplateScanner {
        let input: UnsafeBufferPointer<UInt8>
        var output: [UInt8]

        init(input: UnsafeBufferPointer<UInt8>) {
            self.input = input
            self.output = []
            output.reserveCapacity(input.count)
        }

        mutating func scanMessage() {
            var index = 0
            while index < input.count {
                while index < input.count, Byte.isSpace(input[index]) { index += 1 }
                guard index < input.count else { break }
                var end = index
                while end < input.count, !Byte.isSpace(input[end]) { end += 1 }
                if !output.isEmpty { output.append(Byte.space) }
                scanToken(index..<end)
                index = end
            }
        }

        /// A whitespace-free token: copies boundaries, replaces URLs, and hands
        /// each stretch between them to `scanPiece`.
        private mutating func scanToken(_ token: Range<Int>) {
            var pieceStart = token.lowerBound
            var index = token.lowerBound
            while index < token.upperBound {
                let byte = input[index]
                if byte == Byte.colon, let url = urlAround(colon: index, pieceStart: pieceStart, tokenEnd: token.upperBound) {
                    scanPiece(pieceStart..<url.lowerBound)
                    append(.url)
                    index = url.upperBound
                    pieceStart = index
                } else if Byte.isBoundary(byte) {
                    scanPiece(pieceStart..<index)
                    output.append(byte)
                    index += 1
                    pieceStart = index
                } else {
                    index += 1
                }
            }
            scanPiece(pieceStart..<token.upperBound)
        }

        /// The URL whose `://` starts at `colon`, if there is one.
        ///
        /// The scheme starts at the first letter of the scheme characters before
        /// the colon, so `1https://x` is `<int><url>` and a second pass finds
        /// nothing new. The URL ends at whitespace, a quote or `<`/`>`, minus
        /// trailing sentence punctuation and closing brackets it did not open, so
        /// `(see https://x.example/a).` keeps its `).`.
        private func urlAround(colon: Int, pieceStart: Int, tokenEnd: Int) -> Range<Int>? {
            let bodyStart = colon + 3
            guard bodyStart < tokenEnd, input[colon + 1] == Byte.slash, input[colon + 2] == Byte.slash else {
                return nil
            }
            var runStart = colon
            while runStart > pieceStart, Byte.isSchemeByte(input[runStart - 1]) { runStart -= 1 }
            guard let schemeStart = (runStart..<colon).first(where: { Byte.isLetter(input[$0]) }) else { return nil }

            var end = bodyStart
            var opened = SIMD3<Int>(repeating: 0)  // (), [], {}
            var closed = SIMD3<Int>(repeating: 0)
            while end < tokenEnd, !Byte.isURLTerminator(input[end]) {
                if let kind = Byte.openingBracketKind(input[end]) { opened[kind] += 1 }
                if let kind = Byte.closingBracketKind(input[end]) { closed[kind] += 1 }
                end += 1
            }
            while end > bodyStart {
                let last = input[end - 1]
                if Byte.isURLTrailingPunctuation(last) {
                    end -= 1
                } else if let kind = Byte.closingBracketKind(last), closed[kind] > opened[kind] {
                    closed[kind] -= 1
                    end -= 1
                } else {
                    break
                }
            }
            return end > bodyStart ? schemeStart..<end : nil
        }

        /// A stretch with no boundary inside: its trailing `.:!?` run is copied
        /// after whatever the rest becomes. An IPv6 address ending in `::` keeps it.
        private mutating func scanPiece(_ piece: Range<Int>) {
            guard !piece.isEmpty else { return }
            var coreEnd = piece.upperBound
            while coreEnd > piece.lowerBound, Byte.isTrailingPunctuation(input[coreEnd - 1]) { coreEnd -= 1 }
            if coreEnd > piece.lowerBound, coreEnd + 2 <= piece.upperBound,
               input[coreEnd] == Byte.colon, input[coreEnd + 1] == Byte.colon,
               PieceGrammar.isIPv6(bytes(piece.lowerBound..<coreEnd + 2)) {
                coreEnd += 2
            }
            scanCore(piece.lowerBound..<coreEnd)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: input[coreEnd..<piece.upperBound]))
        }

        /// Classifies the whole core; failing that, its `:`-separated parts;
        /// failing that, replaces digit runs and treats the text between them
        /// as pieces of their own.
        ///
        /// Treating the text between replacements exactly as a second pass will
        /// see it (where `<int>` is a boundary) is what makes the function
        /// idempotent: `x1a@b.cc` becomes `x<int><email>` now, not later.
        private mutating func scanCore(_ core: Range<Int>) {
            guard !core.isEmpty else { return }
            let text = bytes(core)
            if let kind = Kind.classify(text) {
                append(kind)
                return
            }
            if text.contains(Byte.colon) {
                var partStart = core.lowerBound
                for index in core where input[index] == Byte.colon {
                    scanPiece(partStart..<index)
                    output.append(Byte.colon)
                    partStart = index + 1
                }
                scanPiece(partStart..<core.upperBound)
                return
            }
            guard text.contains(where: Byte.isDigit) else {
                output.append(contentsOf: text)
                return
            }
            var index = core.lowerBound
            var textStart = index
            while index < core.upperBound {
                guard Byte.isDigit(input[index]) else {
                    index += 1
                    continue
                }
                scanPiece(textStart..<index)
                while index < core.upperBound, Byte.isDigit(input[index]) { index += 1 }
                append(.int)
                textStart = index
            }
            scanPiece(textStart..<core.upperBound)
        }

        private func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: input[range])
        }

        private mutating func append(_ kind: Kind) {
            kind.placeholder.withUTF8Buffer { output.append(contentsOf: $0) }
        }
    }

    /// Whole-piece recognisers, one per kind. Each reads its piece once, left to
    /// right, and answers whether all of it has that shape.
    fileprivate enum PieceGrammar {
        typealias Bytes = UnsafeBufferPointer<UInt8>

        static func isEmail(_ s: Bytes) -> Bool {
            guard let at = s.firstIndex(of: Byte.at), at > 0 else { return false }
            for byte in s[..<at] where !(Byte.isAlphanumeric(byte) || Byte.isEmailLocalSymbol(byte)) {
                return false
            }
            var completedLabels = 0
            var labelLength = 0
            var labelIsLetters = true
            for byte in s[(at + 1)...] {
                if byte == Byte.dot {
                    guard labelLength > 0 else { return false }
                    completedLabels += 1
                    labelLength = 0
                    labelIsLetters = true
                } else if Byte.isAlphanumeric(byte) || byte == Byte.hyphen {
                    labelLength += 1
                    labelIsLetters = labelIsLetters && Byte.isLetter(byte)
                } else {
                    return false  // includes a second "@"
                }
            }
            return completedLabels > 0 && labelLength >= 2 && labelIsLetters
        }

        static func isUUID(_ s: Bytes) -> Bool {
            guard s.count == 36 else { return false }
            for (index, byte) in s.enumerated() {
                let isDashPosition = index == 8 || index == 13 || index == 18 || index == 23
                guard isDashPosition ? byte == Byte.hyphen : Byte.isHex(byte) else { return false }
            }
            return true
        }

        static func isIPv4(_ s: Bytes) -> Bool {
            var index = 0
            for octet in 0..<4 {
                if octet > 0 {
                    guard index < s.count, s[index] == Byte.dot else { return false }
                    index += 1
                }
                var value = 0
                var digits = 0
                while index < s.count, digits < 3, let digit = Byte.digitValue(s[index]) {
                    value = value * 10 + digit
                    digits += 1
                    index += 1
                }
                guard digits > 0, value <= 255 else { return false }
            }
            return index == s.count
        }

        /// Groups of 1–4 hex digits separated by `:`, eight of them or fewer with
        /// one `::`. A digit is required (unlike the bare address grammar) so that
        /// words like `cafe::beef` stay, and so a second pass cannot find an
        /// address in what the first pass left, e.g. `a::b` in `g<int>a::b`.
        static func isIPv6(_ s: Bytes) -> Bool {
            var index = 0
            var groups = 0
            var colons = 0
            var sawDoubleColon = false
            var sawDigit = false
            while index < s.count {
                if s[index] == Byte.colon {
                    if index + 1 < s.count, s[index + 1] == Byte.colon {
                        guard !sawDoubleColon else { return false }
                        sawDoubleColon = true
                        colons += 2
                        index += 2
                        if index < s.count, s[index] == Byte.colon { return false }
                    } else {
                        guard index > 0, index + 1 < s.count else { return false }
                        colons += 1
                        index += 1
                    }
                    continue
                }
                var length = 0
                while index < s.count, Byte.isHex(s[index]) {
                    sawDigit = sawDigit || Byte.isDigit(s[index])
                    length += 1
                    index += 1
                }
                guard (1...4).contains(length) else { return false }
                groups += 1
            }
            let groupCountFits = sawDoubleColon ? groups <= 7 : groups == 8
            return colons >= 2 && groupCountFits && sawDigit
        }

        /// `YYYY-MM-DD`, optionally followed by `T` and a time whose seconds may
        /// be left out; or a time alone, which needs its seconds (`12:30` could be
        /// a ratio).
        static func isDateOrTime(_ s: Bytes) -> Bool {
            if s.count >= 10, isDate(s) {
                if s.count == 10 { return true }
                guard s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") else { return false }
                return isTime(s, from: 11, secondsRequired: false)
            }
            return isTime(s, from: 0, secondsRequired: true)
        }

        private static func isDate(_ s: Bytes) -> Bool {
            for index in 0..<4 where !Byte.isDigit(s[index]) { return false }
            return s[4] == Byte.hyphen && twoDigits(s, at: 5, in: 1...12)
                && s[7] == Byte.hyphen && twoDigits(s, at: 8, in: 1...31)
        }

        /// `HH:MM[:SS[.fraction]]` and an optional zone: `Z`, `±HH`, `±HHMM` or `±HH:MM`.
        private static func isTime(_ s: Bytes, from start: Int, secondsRequired: Bool) -> Bool {
            guard twoDigits(s, at: start, in: 0...23), start + 2 < s.count, s[start + 2] == Byte.colon,
                  twoDigits(s, at: start + 3, in: 0...59) else { return false }
            var index = start + 5
            if index < s.count, s[index] == Byte.colon {
                guard twoDigits(s, at: index + 1, in: 0...60) else { return false }
                index += 3
                if index < s.count, s[index] == Byte.dot || s[index] == Byte.comma {
                    index += 1
                    let fractionStart = index
                    while index < s.count, Byte.isDigit(s[index]) { index += 1 }
                    guard index > fractionStart else { return false }
                }
            } else if secondsRequired {
                return false
            }
            guard index < s.count else { return true }
            switch s[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                return index + 1 == s.count
            case UInt8(ascii: "+"), Byte.hyphen:
                index += 1
                guard twoDigits(s, at: index, in: 0...23) else { return false }
                index += 2
                guard index < s.count else { return true }
                if s[index] == Byte.colon { index += 1 }
                return twoDigits(s, at: index, in: 0...59) && index + 2 == s.count
            default:
                return false
            }
        }

        private static func twoDigits(_ s: Bytes, at index: Int, in range: ClosedRange<Int>) -> Bool {
            guard index + 1 < s.count, let tens = Byte.digitValue(s[index]), let ones = Byte.digitValue(s[index + 1]) else {
                return false
            }
            return range.contains(tens * 10 + ones)
        }

        static func isHash(_ s: Bytes) -> Bool {
            [32, 40, 64, 128].contains(s.count) && isMixedHex(s)
        }

        static func isHex(_ s: Bytes) -> Bool {
            if s.count >= 3, s[0] == UInt8(ascii: "0"), s[1] | 0x20 == UInt8(ascii: "x") {
                return s[2...].allSatisfy(Byte.isHex)
            }
            return s.count >= 8 && isMixedHex(s)
        }

        /// Only hex digits, at least one of them 0–9 and one a–f: real ids
        /// nearly always are, English words never.
        private static func isMixedHex(_ s: Bytes) -> Bool {
            var sawDigit = false
            var sawLetter = false
            for byte in s {
                if Byte.isDigit(byte) {
                    sawDigit = true
                } else if Byte.isHex(byte) {
                    sawLetter = true
                } else {
                    return false
                }
            }
            return sawDigit && sawLetter
        }

        static func isDuration(_ s: Bytes) -> Bool {
            var index = skipSign(s)
            var parts = 0
            while index < s.count {
                guard let afterNumber = skipDecimal(s, from: index),
                      let unitLength = unitLength(s, at: afterNumber) else { return false }
                index = afterNumber + unitLength
                parts += 1
            }
            return parts > 0
        }

        /// Longest unit first, so `ms` wins over `m`; a unit must end the piece
        /// or be followed by the next number (`1h30m`).
        private static let units: [[UInt8]] = [
            Array("min".utf8), Array("µs".utf8), Array("μs".utf8),
            Array("ms".utf8), Array("us".utf8), Array("ns".utf8),
            Array("m".utf8), Array("s".utf8), Array("h".utf8), Array("d".utf8),
        ]

        private static func unitLength(_ s: Bytes, at index: Int) -> Int? {
            for unit in units where index + unit.count <= s.count {
                let end = index + unit.count
                guard s[index..<end].elementsEqual(unit) else { continue }
                if end == s.count || Byte.isDigit(s[end]) { return unit.count }
            }
            return nil
        }

        static func isFloat(_ s: Bytes) -> Bool {
            guard let afterMantissa = skipDigits(s, from: skipSign(s)) else { return false }
            var index = afterMantissa
            var hasFraction = false
            var hasExponent = false
            if index < s.count, s[index] == Byte.dot {
                guard let afterFraction = skipDigits(s, from: index + 1) else { return false }
                index = afterFraction
                hasFraction = true
            }
            if index < s.count, s[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < s.count, s[index] == UInt8(ascii: "+") || s[index] == Byte.hyphen { index += 1 }
                guard let afterExponent = skipDigits(s, from: index) else { return false }
                index = afterExponent
                hasExponent = true
            }
            return index == s.count && (hasFraction || hasExponent)
        }

        static func isInt(_ s: Bytes) -> Bool {
            skipDigits(s, from: skipSign(s)) == s.count
        }

        private static func skipSign(_ s: Bytes) -> Int {
            guard let first = s.first, first == UInt8(ascii: "+") || first == Byte.hyphen else { return 0 }
            return 1
        }

        /// The index after one or more digits starting at `index`, or nil if there are none.
        private static func skipDigits(_ s: Bytes, from index: Int) -> Int? {
            var end = index
            while end < s.count, Byte.isDigit(s[end]) { end += 1 }
            return end > index ? end : nil
        }

        /// The index after `digits[.digits]` starting at `index`.
        private static func skipDecimal(_ s: Bytes, from index: Int) -> Int? {
            guard let afterWhole = skipDigits(s, from: index) else { return nil }
            guard afterWhole < s.count, s[afterWhole] == Byte.dot else { return afterWhole }
            return skipDigits(s, from: afterWhole + 1)
        }
    }

    /// ASCII byte classes. Bytes of 0x80 and above belong to none of them, which
    /// is what lets non-ASCII text pass through whole.
    fileprivate enum Byte {
        static let space = UInt8(ascii: " ")
        static let colon = UInt8(ascii: ":")
        static let slash = UInt8(ascii: "/")
        static let dot = UInt8(ascii: ".")
        static let comma = UInt8(ascii: ",")
        static let hyphen = UInt8(ascii: "-")
        static let at = UInt8(ascii: "@")

        static func isSpace(_ b: UInt8) -> Bool {
            b == space || (0x09...0x0D).contains(b)  // \t \n \v \f \r
        }

        static func isDigit(_ b: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        }

        static func digitValue(_ b: UInt8) -> Int? {
            isDigit(b) ? Int(b - UInt8(ascii: "0")) : nil
        }

        static func isLetter(_ b: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
        }

        static func isAlphanumeric(_ b: UInt8) -> Bool {
            isDigit(b) || isLetter(b)
        }

        static func isHex(_ b: UInt8) -> Bool {
            isDigit(b)
                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b)
        }

        /// Copied verbatim and never part of a classified piece (URLs aside).
        static func isBoundary(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"),
                 UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
                 UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "<"), UInt8(ascii: ">"),
                 UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "/"):
                true
            default:
                false
            }
        }

        static func isTrailingPunctuation(_ b: UInt8) -> Bool {
            b == dot || b == colon || b == UInt8(ascii: "!") || b == UInt8(ascii: "?")
        }

        static func isSchemeByte(_ b: UInt8) -> Bool {
            isAlphanumeric(b) || b == UInt8(ascii: "+") || b == hyphen || b == dot
        }

        static func isURLTerminator(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                true
            default:
                false
            }
        }

        static func isURLTrailingPunctuation(_ b: UInt8) -> Bool {
            isTrailingPunctuation(b) || b == comma || b == UInt8(ascii: ";")
        }

        static func isEmailLocalSymbol(_ b: UInt8) -> Bool {
            b == dot || b == UInt8(ascii: "_") || b == UInt8(ascii: "%") || b == UInt8(ascii: "+") || b == hyphen
        }

        /// 0 for `(`, 1 for `[`, 2 for `{`.
        static func openingBracketKind(_ b: UInt8) -> Int? {
            switch b {
            case UInt8(ascii: "("): 0
            case UInt8(ascii: "["): 1
            case UInt8(ascii: "{"): 2
            default: nil
            }
        }

        static func closingBracketKind(_ b: UInt8) -> Int? {
            switch b {
            case UInt8(ascii: ")"): 0
            case UInt8(ascii: "]"): 1
            case UInt8(ascii: "}"): 2
            default: nil
            }
        }
    }
}
