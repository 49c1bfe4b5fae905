import Foundation
import Testing
@testable import FirebellCore

/// The hand-written encoders must be read back by the types' own `Decodable` (through a
/// default `JSONDecoder`, as the store reads them) to an equal value.
@Suite("Model JSON")
struct ModelJSONTests {
    private func roundTrip<T: JSONWritable & Decodable & Equatable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try value.jsonBytes()))
    }

    /// The object keys the fast encoder writes, and the stored properties the value has.
    private func keysAndProperties(_ value: some JSONWritable) throws -> (keys: Set<String>, properties: Set<String>) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(value.jsonBytes())) as? [String: Any])
        return (Set(object.keys), Set(Mirror(reflecting: value).children.compactMap(\.label)))
    }

    // MARK: Fixtures

    static let awkward = "q\"b\\s/ n\n r\r t\t nul\u{00} us\u{1F} del\u{7F} é 中 😀 👩‍👩‍👧 ls\u{2028} ps\u{2029} \u{10FFFF}"

    /// An event like `bench/events.lua` sends: about 1 KB with a five-frame library stack.
    static let benchEvent = Event(
        eventID: "0000002a00000007000000000000abcd", timestamp: Date(timeIntervalSince1970: 1_760_000_000.123456),
        level: .error, message: "worker abcd failed for order 4242 after 120ms", environment: "production",
        service: "checkout", release: "shop@1.4.2", platform: "python",
        exception: ExceptionInfo(type: "WorkerError", value: "worker abcd failed for order 4242 after 120ms", stacktrace: [
            Frame(module: "gunicorn.workers.sync", function: "handle_request", filename: "gunicorn/workers/sync.py", lineno: 136, inApp: false),
            Frame(module: "django.core.handlers.base", function: "_get_response", filename: "django/core/handlers/base.py", lineno: 197, inApp: false),
            Frame(module: "django.views.generic.base", function: "dispatch", filename: "django/views/generic/base.py", lineno: 143, inApp: false),
            Frame(module: "celery.app.task", function: "apply_async", filename: "celery/app/task.py", lineno: 594, inApp: false),
            Frame(module: "kombu.connection", function: "ensure_connection", filename: "kombu/connection.py", lineno: 381, inApp: false),
        ]),
        tags: ["region": "eu-west-1", "host": "web-3", "queue": "payments"],
        user: User(id: "4242"), url: "https://shop.example/orders/4242")

    /// Every optional set, every string awkward: the fixture for "every property is written".
    static let fullEvent = Event(
        eventID: awkward, timestamp: Date(timeIntervalSinceReferenceDate: -63_113_904_000.5), level: .fatal,
        message: awkward, environment: "e", service: "s", release: "r", platform: "p",
        exception: ExceptionInfo(type: awkward, value: "v", stacktrace: [
            Frame(module: "m", function: "f", filename: awkward, lineno: -1, inApp: true),
        ]),
        fingerprint: ["{{ default }}", awkward, ""], tags: [awkward: awkward, "": ""],
        user: User(id: "i", email: "e@x", username: awkward, ipAddress: "::1"),
        url: "u", logger: "l", dist: "d", serverName: "h", formattedMessage: awkward)

    static let fullIssue = Issue(
        id: .max, projectID: .min, fingerprint: awkward, title: awkward, culprit: "shop.pay in charge",
        level: .warning, status: .muted, severity: .critical, explanation: "score 110 ≥ 100: production errors +60",
        score: 110, count: 3, userCount: 2, firstSeen: Date(timeIntervalSinceReferenceDate: 0.1),
        lastSeen: Date(timeIntervalSinceReferenceDate: 797_000_000.000_001), environment: "production",
        release: awkward, topFrames: ["a in b", awkward], lastAlertAt: Date(timeIntervalSinceReferenceDate: 1e15),
        eventsSinceAlert: 7, mute: Mute(until: Date(timeIntervalSinceReferenceDate: -1e-300), remainingEvents: 10, severity: .minor),
        resolvedAt: Date(timeIntervalSinceReferenceDate: .leastNonzeroMagnitude),
        regressions: [Date(timeIntervalSinceReferenceDate: 12.5), Date(timeIntervalSinceReferenceDate: -3e9)],
        flappingSince: Date(timeIntervalSinceReferenceDate: 7),
        links: [AlertLink(title: awkward, url: "https://x.example/" + awkward)!], resolvedBy: "alertmanager")

    static let fullAlert = Alert(
        kind: .repeat, issueID: 42, projectID: 1, projectName: awkward, severity: .minor, title: awkward,
        culprit: "c", level: .debug, environment: "staging", release: "1.0", score: -5, explanation: awkward,
        count: 1, eventsSinceLastAlert: 0, userCount: 0, firstSeen: Date(timeIntervalSinceReferenceDate: -1),
        lastSeen: Date(timeIntervalSinceReferenceDate: .greatestFiniteMagnitude), topFrames: [],
        createdAt: Date(timeIntervalSinceReferenceDate: 797_000_000.987_654_3),
        links: [AlertLink(title: "Trace", url: "https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736")!],
        deploy: DeployContext(release: awkward, firstSeen: Date(timeIntervalSinceReferenceDate: 796_999_760.5), newIssues: 7))

    // MARK: Hand-picked values

    @Test func benchEventRoundTrips() throws {
        #expect(try roundTrip(Self.benchEvent) == Self.benchEvent)
    }

    @Test func eventWithEverySetAndAwkwardRoundTrips() throws {
        #expect(try roundTrip(Self.fullEvent) == Self.fullEvent)
    }

    @Test func eventWithNothingOptionalRoundTrips() throws {
        let bare = Event(eventID: "", timestamp: Date(timeIntervalSinceReferenceDate: 0))
        #expect(try roundTrip(bare) == bare)
        let emptyInside = Event(
            eventID: "x", timestamp: Date(timeIntervalSince1970: 0), exception: ExceptionInfo(),
            fingerprint: [], user: User())
        #expect(try roundTrip(emptyInside) == emptyInside)
        #expect(try String(decoding: bare.jsonBytes(), as: UTF8.self) == #"{"eventID":"","timestamp":0.0,"level":"error","tags":{}}"#)
    }

    @Test func eventWithManyTagsRoundTrips() throws {
        var event = Self.benchEvent
        event.tags = Dictionary(uniqueKeysWithValues: (0..<500).map { ("tag\($0)", "value \"\($0)\"\n") })
        #expect(try roundTrip(event) == event)
    }

    @Test func issuesRoundTrip() throws {
        #expect(try roundTrip(Self.fullIssue) == Self.fullIssue)
        let fresh = Issue(
            projectID: 1, fingerprint: "f", title: "t", level: .error, severity: .minor, explanation: "",
            score: 0, firstSeen: Date(timeIntervalSince1970: 1_760_000_000), lastSeen: Date(timeIntervalSince1970: 1_760_000_000))
        #expect(try roundTrip(fresh) == fresh)
        var mutedForever = fresh
        mutedForever.mute = .forever
        #expect(try roundTrip(mutedForever) == mutedForever)
    }

    @Test func alertsRoundTrip() throws {
        #expect(try roundTrip(Self.fullAlert) == Self.fullAlert)
        let resolved = Alert(kind: .resolved, issue: Self.fullIssue, projectName: "shop", eventsSinceLastAlert: 0, at: Date(timeIntervalSince1970: 0))
        #expect(try roundTrip(resolved) == resolved)
    }

    /// Outbox rows written before alerts carried deploy context read as they were.
    @Test func anAlertStoredWithoutDeployContextReadsWithNone() throws {
        var alert = Self.fullAlert
        alert.deploy = nil
        let text = try alert.jsonText()
        #expect(!text.contains("deploy"))
        #expect(try Alert(jsonText: text) == alert)
        #expect(try JSONDecoder().decode(Alert.self, from: Data(text.utf8)) == alert)
    }

    @Test func aNonFiniteDateThrowsLikeJSONEncoder() {
        var event = Self.benchEvent
        event.timestamp = Date(timeIntervalSinceReferenceDate: .infinity)
        #expect(throws: JSONWriter.NonFiniteNumber.self) { try event.jsonBytes() }
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(event) }
    }

    // MARK: Every property is written

    /// Catches a property added to a type but not to its encoder (it would decode as `nil`,
    /// or fail to decode, only when set) and a misspelt key.
    @Test func everyStoredPropertyIsWrittenUnderItsOwnName() throws {
        let values: [any JSONWritable] = [
            Self.fullEvent, Self.fullEvent.exception!, Self.fullEvent.exception!.stacktrace[0], Self.fullEvent.user!,
            Self.fullIssue, Self.fullIssue.mute!, Self.fullAlert, Self.fullAlert.links![0], Self.fullAlert.deploy!,
        ]
        for value in values {
            let (keys, properties) = try keysAndProperties(value)
            #expect(keys == properties, "\(type(of: value))")
        }
    }

    // MARK: Random values

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomEventsRoundTrip(seed: UInt64) throws {
        var random = RandomModels(seed: seed)
        for index in 0..<300 {
            let event = random.event()
            #expect(try roundTrip(event) == event, "seed \(seed) case \(index)")
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomIssuesRoundTrip(seed: UInt64) throws {
        var random = RandomModels(seed: seed)
        for index in 0..<300 {
            let issue = random.issue()
            #expect(try roundTrip(issue) == issue, "seed \(seed) case \(index)")
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomAlertsRoundTrip(seed: UInt64) throws {
        var random = RandomModels(seed: seed)
        for index in 0..<300 {
            let alert = random.alert()
            #expect(try roundTrip(alert) == alert, "seed \(seed) case \(index)")
        }
    }

    /// Dates are where a lossy number spelling would show: compare their bits, not `==` on `Date`.
    @Test func randomDatesKeepEveryBit() throws {
        var random = RandomModels(seed: 99)
        for _ in 0..<2000 {
            var issue = Self.fullIssue
            issue.lastSeen = random.date()
            let decoded = try roundTrip(issue)
            let sent = issue.lastSeen.timeIntervalSinceReferenceDate, got = decoded.lastSeen.timeIntervalSinceReferenceDate
            #expect(got.bitPattern == sent.bitPattern || (sent == 0 && got == 0), "\(sent)")
        }
    }
}
