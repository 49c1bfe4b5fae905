import Foundation
@testable import FirebellCore

/// SplitMix64: a tiny seeded generator, so a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random model values whose strings, numbers and dates lean on the edges JSON gets wrong:
/// escapes, control characters, non-ASCII, extreme and fractional numbers, empty collections.
struct RandomModels {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Pieces strings are built from: each a hazard for some JSON writer or reader.
    private static let pieces: [String] = [
        "a", "Z", "0", " ", "/", "\"", "\\", "\\u0041", "\n", "\r", "\t", "\u{00}", "\u{01}", "\u{08}", "\u{0C}",
        "\u{1F}", "\u{7F}", "é", "ß", "中文", "😀", "👩‍👩‍👧", "e\u{301}", "\u{2028}", "\u{2029}", "\u{FEFF}",
        "\u{FFFF}", "\u{10FFFF}", "{\"k\":[1,2]}", "null", "https://shop.example/orders/42?q=1&r=2",
    ]

    mutating func bool() -> Bool { Bool.random(using: &generator) }

    mutating func string() -> String {
        let count = Int.random(in: 0...12, using: &generator)
        return (0..<count).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
    }

    mutating func optional<T>(_ make: (inout RandomModels) -> T) -> T? {
        bool() ? make(&self) : nil
    }

    mutating func int() -> Int {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: [0, 1, -1, .max, .min].randomElement(using: &generator)!
        case 1: Int.random(in: .min ... .max, using: &generator)
        default: Int.random(in: -1000...100_000, using: &generator)
        }
    }

    mutating func int64() -> Int64 { Int64(int()) }

    /// Any finite `Double`: special values, random bit patterns, and times with fractions.
    mutating func double() -> Double {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0:
            return [0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.1, 1e-7, 1e22]
                .randomElement(using: &generator)!
        case 1:
            var value = Double.nan
            while !value.isFinite { value = Double(bitPattern: generator.next()) }
            return value
        default:
            // Around now, ±100 years, with sub-second digits.
            return Double.random(in: -3e9...3e9, using: &generator)
        }
    }

    mutating func date() -> Date { Date(timeIntervalSinceReferenceDate: double()) }

    mutating func dates(upTo count: Int) -> [Date] {
        (0..<Int.random(in: 0...count, using: &generator)).map { _ in date() }
    }

    mutating func strings(upTo count: Int) -> [String] {
        (0..<Int.random(in: 0...count, using: &generator)).map { _ in string() }
    }

    mutating func tags() -> [String: String] {
        var tags: [String: String] = [:]
        for _ in 0..<Int.random(in: 0...20, using: &generator) { tags[string()] = string() }
        return tags
    }

    mutating func element<T: CaseIterable>(of _: T.Type) -> T { T.allCases.randomElement(using: &generator)! }

    mutating func frame() -> Frame {
        Frame(
            module: optional { $0.string() }, function: optional { $0.string() }, filename: optional { $0.string() },
            lineno: optional { $0.int() }, inApp: optional { $0.bool() })
    }

    mutating func event() -> Event {
        Event(
            eventID: string(), timestamp: date(), level: element(of: Level.self),
            message: optional { $0.string() }, environment: optional { $0.string() },
            service: optional { $0.string() }, release: optional { $0.string() }, platform: optional { $0.string() },
            exception: optional { r in
                ExceptionInfo(
                    type: r.optional { $0.string() }, value: r.optional { $0.string() },
                    stacktrace: (0..<Int.random(in: 0...6, using: &r.generator)).map { _ in r.frame() })
            },
            fingerprint: optional { $0.strings(upTo: 4) }, tags: tags(),
            user: optional { r in
                User(
                    id: r.optional { $0.string() }, email: r.optional { $0.string() },
                    username: r.optional { $0.string() }, ipAddress: r.optional { $0.string() })
            },
            url: optional { $0.string() }, logger: optional { $0.string() }, dist: optional { $0.string() },
            serverName: optional { $0.string() }, formattedMessage: optional { $0.string() })
    }

    mutating func issue() -> Issue {
        Issue(
            id: int64(), projectID: int(), fingerprint: string(), title: string(), culprit: optional { $0.string() },
            level: element(of: Level.self), status: element(of: IssueStatus.self), severity: element(of: Severity.self),
            explanation: string(), score: int(), count: int(), userCount: int(), firstSeen: date(), lastSeen: date(),
            environment: optional { $0.string() }, release: optional { $0.string() }, topFrames: strings(upTo: 5),
            lastAlertAt: optional { $0.date() }, eventsSinceAlert: int(),
            mute: optional { r in
                Mute(until: r.optional { $0.date() }, remainingEvents: r.optional { $0.int() }, severity: r.optional { $0.element(of: Severity.self) })
            },
            resolvedAt: optional { $0.date() }, regressions: optional { r in r.dates(upTo: 4) },
            flappingSince: optional { $0.date() }, links: optional { $0.links() },
            resolvedBy: optional { $0.string() })
    }

    mutating func alert() -> Alert {
        Alert(
            kind: element(of: AlertKind.self), issueID: int64(), projectID: int(), projectName: string(),
            severity: element(of: Severity.self), title: string(), culprit: optional { $0.string() },
            level: element(of: Level.self), environment: optional { $0.string() }, release: optional { $0.string() },
            score: int(), explanation: string(), count: int(), eventsSinceLastAlert: int(), userCount: int(),
            firstSeen: date(), lastSeen: date(), topFrames: strings(upTo: 5), createdAt: date(), links: optional { $0.links() },
            deploy: optional { r in DeployContext(release: r.string(), firstSeen: r.date(), newIssues: r.int()) })
    }

    /// Up to three links, their URLs any text after a scheme (`AlertLink` encodes what it must).
    mutating func links() -> [AlertLink] {
        (0..<Int.random(in: 0...3, using: &generator)).map { _ in AlertLink(title: string(), url: "https://x.example/" + string())! }
    }
}
