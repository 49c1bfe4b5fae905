import Testing
import FirebellCore

@Suite("Parameterizer")
struct ParameterizerTests {
    /// One row of the specification table: a message and its grouping template.
    struct Case: Sendable, CustomTestStringConvertible {
        let input: String
        let expected: String

        init(_ input: String, _ expected: String) {
            self.input = input
            self.expected = expected
        }

        var testDescription: String { "\(input.debugDescription) → \(expected.debugDescription)" }
    }

    static let table: [Case] = [
        // int, and boundaries kept verbatim
        .init("Payment failed for order 1231", "Payment failed for order <int>"),
        .init("id=42,", "id=<int>,"),
        .init("(order 7).", "(order <int>)."),
        .init("offset -7", "offset <int>"),
        .init("can't parse \"abc\"; got [1, 2]", "can't parse \"abc\"; got [<int>, <int>]"),
        .init("Error: disk full.", "Error: disk full."),
        .init("fail!? really...", "fail!? really..."),
        .init("GET /api/users/42/orders", "GET /api/users/<int>/orders"),
        // digit runs inside otherwise plain tokens
        .init("user42 logged in", "user<int> logged in"),
        .init("v1.4.2", "v<int>.<int>.<int>"),
        .init("order#1231", "order#<int>"),
        .init("x=1_000", "x=<int>_<int>"),
        .init("E11000 duplicate key", "E<int> duplicate key"),
        .init("abc123", "abc<int>"),
        .init("0x", "<int>x"),
        .init("12:30", "<int>:<int>"),
        // url
        .init("GET https://shop.example/a?b=1 failed", "GET <url> failed"),
        .init("see (https://en.wikipedia.org/wiki/Foo_(bar)).", "see (<url>)."),
        .init("redirect to 'http://localhost:8080/x'", "redirect to '<url>'"),
        .init("upstream=svn+ssh://host/repo;", "upstream=<url>;"),
        // email
        .init("mail ann.lee+tag@shop.example now", "mail <email> now"),
        .init("<bob42@mail.example.org>", "<<email>>"),
        .init("mailto:ann@shop.example", "mailto:<email>"),
        // uuid
        .init("request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed", "request <uuid> failed"),
        .init("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "{<uuid>}"),
        .init("key:3f2504e0-4f89-11d3-9a0c-0305e82c3301", "key:<uuid>"),
        // ip
        .init("connect to 10.0.0.1 refused", "connect to <ip> refused"),
        .init("connect 192.168.1.20:5432:", "connect <ip>:<int>:"),
        .init("10.0.0.0/8", "<ip>/<int>"),
        .init("256.1.1.1", "<int>.<int>.<int>.<int>"),
        .init("listen on [::1]:8080", "listen on [<ip>]:<int>"),
        .init("from fe80::1ff:fe23:4567:890a", "from <ip>"),
        .init("addr 2001:db8::", "addr <ip>"),
        .init("std::vector and cafe::beef", "std::vector and cafe::beef"),
        // date and time
        .init("at 2026-11-30", "at <date>"),
        .init("at 2026-11-30T05:00:00Z", "at <date>"),
        .init("2026-11-30T05:00:00.123456+01:00", "<date>"),
        .init("timeout at 05:00:00.", "timeout at <date>."),
        .init("2026-13-01", "<int>-<int>-<int>"),
        // hash
        .init("md5 d41d8cd98f00b204e9800998ecf8427e", "md<int> <hash>"),
        .init("sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha<int> <hash>"),
        .init(
            "user_id=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "user_id=<hash>"
        ),
        // hex
        .init("segfault at 0x7fff5fbff8c8", "segfault at <hex>"),
        .init("0xDEADBEEF", "<hex>"),
        .init("commit a1b2c3d4e5", "commit <hex>"),
        // duration
        .init("took 250ms", "took <duration>"),
        .init("retry in 1.5s!", "retry in <duration>!"),
        .init("uptime 1h30m", "uptime <duration>"),
        .init("wait 2min", "wait <duration>"),
        .init("latency 3.2µs", "latency <duration>"),
        // float
        .init("ratio -3.14", "ratio <float>"),
        .init("eps 1e-9", "eps <float>"),
        .init("version 2.0", "version <float>"),
        .init("HTTP/1.1 503", "HTTP/<float> <int>"),
        .init("1.5 2.5e10 +3", "<float> <float> <int>"),
        // English words made of hex letters stay words
        .init("deadbeef cafe add bad ace face", "deadbeef cafe add bad ace face"),
        // whitespace and non-ASCII
        .init("  lots \t of \n space  ", "lots of space"),
        .init("", ""),
        .init("Zahlung für Bestellung 1231 fehlgeschlagen", "Zahlung für Bestellung <int> fehlgeschlagen"),
        .init("注文1231が失敗しました", "注文<int>が失敗しました"),
        .init("🔥 queue full 🔥", "🔥 queue full 🔥"),
        // placeholders are left alone
        .init("already <int> and <ip>:<int> at <date>", "already <int> and <ip>:<int> at <date>"),
    ]

    @Test(arguments: table)
    func replacesEachVariablePartWithItsPlaceholder(_ row: Case) {
        #expect(Parameterizer.parameterize(row.input) == row.expected)
    }

    @Test(arguments: table)
    func parameterizingTwiceChangesNothing(_ row: Case) {
        let once = Parameterizer.parameterize(row.input)
        #expect(Parameterizer.parameterize(once) == once)
        #expect(Parameterizer.parameterize(row.expected) == row.expected)
    }

    @Test func ordersDifferingOnlyByNumberGroupTogether() {
        #expect(
            Parameterizer.parameterize("Payment failed for order 1231")
                == Parameterizer.parameterize("Payment failed for order 1232")
        )
    }

    @Test(arguments: [
        ("lock 3f2504e0-4f89-11d3-9a0c-0305e82c3301 held by 10.0.0.1 for 250ms",
         "lock 9B2E4C10-AAAA-4BBB-8CCC-DDDDEEEEFFFF held by 172.16.254.3 for 1.5s"),
        ("cache:user:0a1b2c3d4e5f held since 2026-11-30T05:00:00Z",
         "cache:user:ffee99887766 held since 2027-01-02T23:59:59.5-08:00"),
        ("fetch https://a.example/x?id=1 from ann@a.example",
         "fetch http://b.example:8443/y/z from bob.smith@b.example.org"),
    ])
    func messagesDifferingOnlyInVariablePartsGroupTogether(first: String, second: String) {
        #expect(Parameterizer.parameterize(first) == Parameterizer.parameterize(second))
    }

    @Test(arguments: ["ace", "add", "bad", "bead", "cafe", "dead", "deadbeef", "decade", "effaced", "facade", "fed"])
    func englishWordsMadeOfHexLettersStayWords(_ word: String) {
        #expect(Parameterizer.parameterize(word) == word)
        #expect(Parameterizer.parameterize("the \(word) one") == "the \(word) one")
    }

    /// Random messages built from the bytes the scanner cares about: every
    /// output must be a fixed point and free of ASCII digits.
    @Test func randomMessagesAreFixedPointsAfterOnePass() {
        let fragments = [
            "1", "42", "7.5", "0x", "a", "f", "e", "g", "x", "T", "Z", "ms", "s", "min", "http", "b.cc",
            ":", "::", ".", "-", "+", "@", "/", "://", "<", ">", "(", ")", "[", "]", "{", "}",
            "=", ",", ";", "'", "\"", "!", "?", "#", "_", "%", " ", "\t", "ü", "µ",
        ]
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<5_000 {
            let length = Int(random.next() % 24) + 1
            let message = (0..<length).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }.joined()
            let once = Parameterizer.parameterize(message)
            #expect(Parameterizer.parameterize(once) == once, "input: \(message.debugDescription)")
            #expect(!once.utf8.contains(where: { (0x30...0x39).contains($0) }), "input: \(message.debugDescription)")
        }
    }

    @Test func hundredKilobyteMessageCompletes() {
        let line = "order 1231 for ann@shop.example at 2026-11-30T05:00:00Z from 10.0.0.1 took 250ms (id=0x7fff5fbff8c8); "
        let message = String(repeating: line, count: 100_000 / line.utf8.count + 1)
        let template = Parameterizer.parameterize(message)
        #expect(message.utf8.count >= 100_000)
        #expect(template.hasPrefix("order <int> for <email> at <date> from <ip> took <duration> (id=<hex>); order <int>"))
        #expect(!template.utf8.contains(where: { (0x30...0x39).contains($0) }))
    }

    @Test(arguments: [
        String(repeating: "1:", count: 50_000),
        String(repeating: "a", count: 100_000),
        String(repeating: "x://", count: 25_000),
        String(repeating: "1.", count: 50_000),
        String(repeating: "(", count: 100_000),
    ])
    func hundredKilobyteTokenWithoutSpacesCompletes(_ token: String) {
        let template = Parameterizer.parameterize(token)
        #expect(Parameterizer.parameterize(template) == template)
    }

    /// A small seeded generator so the random test is the same on every run.
    private struct SplitMix64 {
        var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
