import FirebellCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FirebellStore

/// One suite, every backend: what `Store` promises (DESIGN §5).
struct StoreContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqlite, postgres
        var testDescription: String { rawValue }
    }

    static let yaml = """
        projects:
          - { id: 1, name: checkout, keys: [k] }
          - { id: 2, name: other, keys: [k2] }
        severity:
          critical_at: 100
          rules:
            - name: spike
              when: { events_in: { window: 5m, over: 2 } }
              add: 100
            - name: many users
              when: { users_in: { window: 1h, over: 1 } }
              add: 5
        channels:
          slack: { type: console }
          mail: { type: console }
        routes:
          - when: { severity: minor }
            notify: [slack]
          - when: { severity: critical }
            notify: [slack, mail]
        alerting:
          repeat_after: 1h
        """

    let processor: BatchProcessor
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        processor = BatchProcessor(config: try ConfigLoader.parse(yaml: Self.yaml, path: "s.yaml", environment: [:]))
    }

    /// Runs `body` on a fresh store of `backend` (PostgreSQL: a new database on the
    /// tests' server, `TestPostgres`), closing it after (SQLite insists).
    func with(_ backend: Backend, _ body: (any Store) async throws -> Void) async throws {
        let store: any Store = switch backend {
        case .memory: InMemoryStore()
        case .sqlite: try await SQLiteStore.open(path: ":memory:", logger: Logger(label: "test"))
        case .postgres: try await PostgresStore.open(url: TestPostgres.database(), node: "node-a", logger: Logger(label: "test"))
        }
        do {
            try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    func item(
        _ id: String, fingerprint: String = "fp", project: Int = 1, user: String? = nil, release: String? = nil, at offset: TimeInterval = 0
    ) -> IngestItem {
        IngestItem(
            projectID: project,
            event: Event(eventID: id, timestamp: t0, message: "boom", release: release, user: user.map { User(id: $0) }),
            fingerprint: fingerprint, receivedAt: t0.addingTimeInterval(offset))
    }

    @Test(arguments: Backend.allCases)
    func eventsWithOneFingerprintShareAnIssueAndRepeatsOfAnEventIDCountOnce(_ backend: Backend) async throws {
        try await with(backend) { store in
            let outcomes = try await store.ingest([item("a"), item("b", at: 1), item("a", at: 2), item("c", fingerprint: "other", at: 3)], processor: processor)
            guard case .stored(let first, .new?) = outcomes[0], case .stored(let second, nil) = outcomes[1],
                  case .stored(let third, .new?) = outcomes[3] else {
                Testing.Issue.record("unexpected outcomes \(outcomes)")
                return
            }
            #expect(outcomes[2] == .duplicate)
            #expect(first == second)
            #expect(third != first)
            #expect(try await store.issue(id: first)?.count == 2)
            // The same event id in another project is another event.
            #expect(try await store.ingest([item("a", project: 2)], processor: processor).first != .duplicate)
            #expect(try await store.issues(IssueQuery()).count == 3)
            #expect(try await store.issues(IssueQuery(projectID: 1)).count == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func issuesAreListedMostRecentlySeenFirstWithinAndAcrossMinutes(_ backend: Backend) async throws {
        try await with(backend) { store in
            // Seen at 0 s, 20 s and 40 s (one minute of t0) and at 70 s (the next); then the first again at 50 s.
            _ = try await store.ingest(
                [item("a", fingerprint: "p", at: 0), item("b", fingerprint: "q", at: 20), item("c", fingerprint: "r", at: 40),
                 item("d", fingerprint: "s", at: 70), item("e", fingerprint: "p", at: 50)], processor: processor)
            let listed = try await store.issues(IssueQuery())
            #expect(listed.map(\.fingerprint) == ["s", "p", "r", "q"])
            #expect(try await store.issues(IssueQuery(limit: 2)).map(\.fingerprint) == ["s", "p"])
        }
    }

    @Test(arguments: Backend.allCases)
    func alertsLandInTheOutboxOncePerRoutedChannel(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a")], processor: processor)
            var rows = try await store.deliveries(status: .pending, limit: 10)
            #expect(rows.map(\.channel) == ["slack"])
            #expect(rows.first?.alert.kind == .new)
            #expect(rows.first?.alert.issueID == rows.first?.issueID)
            // Three events in 5 minutes: the spike escalates to critical → both channels.
            _ = try await store.ingest([item("b", at: 10), item("c", at: 20)], processor: processor)
            rows = try await store.deliveries(status: .pending, limit: 10)
            #expect(rows.filter { $0.alert.kind == .escalation }.map(\.channel).sorted() == ["mail", "slack"])
            #expect(try await store.deliveryCounts()[.pending] == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func windowCountsSeeOnlyRecentEventsOfTheIssue(_ backend: Backend) async throws {
        try await with(backend) { store in
            // Two events long ago, then one now: only one in the 5m window, so no spike.
            _ = try await store.ingest([item("a", at: -3600), item("b", at: -3500), item("c")], processor: processor)
            let issue = try #require(try await store.issues(IssueQuery()).first)
            #expect(issue.severity == .minor)
            #expect(issue.count == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func distinctUsersAreCounted(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a", user: "u1"), item("b", user: "u1", at: 1), item("c", user: "u2", at: 2), item("d", at: 3)], processor: processor)
            let issue = try #require(try await store.issues(IssueQuery()).first)
            #expect(issue.userCount == 2)
            #expect(issue.explanation.contains("many users +5"))
        }
    }

    @Test(arguments: Backend.allCases)
    func claimedRowsAreLeasedAndComeBackWhenTheLeaseEnds(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a")], processor: processor)
            let claimed = try await store.claimDeliveries(now: t0, limit: 10, lease: 60)
            #expect(claimed.count == 1)
            #expect(claimed.first?.attempts == 1)
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(30), limit: 10, lease: 60).isEmpty)
            let again = try await store.claimDeliveries(now: t0.addingTimeInterval(61), limit: 10, lease: 60)
            #expect(again.map(\.id) == claimed.map(\.id))
            #expect(again.first?.attempts == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func aBatchCanClaimItsDueRowsForTheDelivererWhoMayGiveThemBack(_ backend: Backend) async throws {
        try await with(backend) { store in
            // A critical spike (slack + mail) and a new issue on another fingerprint (slack).
            let result = try await store.ingest(
                [item("a"), item("b", at: 1), item("c", at: 2), item("d", fingerprint: "2", at: 3)], processor: processor, claim: OutboxClaim(lease: 60))
            let pending = try await store.deliveries(status: .pending, limit: 10)
            #expect(pending.count == 4)
            // Issue 1's escalation to slack waits its turn behind its new-issue alert there.
            #expect(result.claimed.count == 3)
            #expect(Set(pending.map(\.id)).subtracting(result.claimed.map(\.id)).map { id in pending.first { $0.id == id }!.alert.kind } == [.escalation])
            // Handed out as they are stored: same ids, issues, channels and alerts, attempt 1.
            for row in result.claimed {
                let stored = try #require(pending.first { $0.id == row.id })
                #expect(stored.issueID == row.issueID && stored.channel == row.channel && stored.alert == row.alert)
                #expect(row.attempts == 1 && row.alert.issueID == row.issueID)
            }
            // Claimed: a claim does not take them again within the lease.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60).isEmpty)
            // Given back: due at once, the attempt not counted.
            let back = result.claimed.filter { $0.channel == "slack" }.map(\.id)
            try await store.releaseDeliveries(ids: back, at: t0.addingTimeInterval(6))
            let again = try await store.claimDeliveries(now: t0.addingTimeInterval(6), limit: 10, lease: 60)
            #expect(again.map(\.id).sorted() == back.sorted())
            #expect(again.allSatisfy { $0.attempts == 1 })
            // A restart releases the ones still out.
            #expect(try await store.releaseClaims(now: t0.addingTimeInterval(7)) >= 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aClaimTakesNoMoreOfAChannelThanItsRoomSoABacklogLeavesTheOthersAlone(_ backend: Backend) async throws {
        try await with(backend) { store in
            // Five new issues → five slack rows; then a spike on the first → slack + mail.
            _ = try await store.ingest((0..<5).map { item("n\($0)", fingerprint: "f\($0)", at: Double($0)) }, processor: processor)
            _ = try await store.ingest([item("s1", fingerprint: "f0", at: 10), item("s2", fingerprint: "f0", at: 11)], processor: processor)
            let now = t0.addingTimeInterval(20)
            let first = try await store.claimDeliveries(now: now, limit: 10, lease: 60, room: ChannelRoom(perChannel: ["slack": 2, "mail": 8]))
            #expect(first.map(\.channel).sorted() == ["mail", "slack", "slack"])
            // The earliest due of a channel go first.
            let slack = first.filter { $0.channel == "slack" }
            #expect(slack.map(\.alert.title) == ["boom", "boom"] && slack.map(\.createdAt) == [t0, t0.addingTimeInterval(1)])
            // Rows of channels the room does not name come only through `others`.
            #expect(try await store.claimDeliveries(now: now, limit: 10, lease: 60, room: ChannelRoom(perChannel: ["mail": 8])).isEmpty)
            let other = try await store.claimDeliveries(now: now, limit: 10, lease: 60, room: ChannelRoom(perChannel: ["mail": 8], others: 2))
            #expect(other.count == 2 && other.allSatisfy { $0.channel == "slack" })
            // The overall limit still holds.
            #expect(try await store.claimDeliveries(now: now, limit: 1, lease: 60, room: ChannelRoom(perChannel: ["slack": 8])).count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aRenewedClaimIsNotTakenAgainUntilTheRenewedLeaseEndsAndAFinishedRowIsNotRenewed(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", fingerprint: "2")], processor: processor)
            let claimed = try await store.claimDeliveries(now: t0, limit: 10, lease: 30)
            #expect(claimed.count == 2)
            // One attempt ended (a retry a minute out); the other still runs, and is renewed twice.
            try await store.finishDeliveries([(claimed[0], .retry(at: t0.addingTimeInterval(60), status: 503, error: "busy"))], at: t0.addingTimeInterval(5))
            let ids = claimed.map(\.id)
            #expect(try await store.renewClaims(ids: ids, until: t0.addingTimeInterval(50)) == 1)
            #expect(try await store.renewClaims(ids: ids, until: t0.addingTimeInterval(90)) == 1)
            // Never shortened.
            #expect(try await store.renewClaims(ids: ids, until: t0.addingTimeInterval(10)) == 1)
            // Past the first lease: only the retry comes due (at 60), not the renewed row.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(45), limit: 10, lease: 30).isEmpty)
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(80), limit: 10, lease: 30).map(\.id) == [claimed[0].id])
            // The renewed lease over: the row is due again for anyone.
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(91), limit: 10, lease: 30).map(\.id) == [claimed[1].id])
        }
    }

    @Test(arguments: Backend.allCases)
    func aRestartMakesInterruptedClaimsDueButLeavesScheduledRetries(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", fingerprint: "2")], processor: processor)
            let claimed = try await store.claimDeliveries(now: t0, limit: 10, lease: 60)
            #expect(claimed.count == 2)
            // One finished with a retry an hour out; the other was in flight when the process died.
            try await store.finishDelivery(id: claimed[0].id, result: .retry(at: t0.addingTimeInterval(3600), status: 503, error: "busy"), at: t0)
            #expect(try await store.releaseClaims(now: t0.addingTimeInterval(1)) == 1)
            let again = try await store.claimDeliveries(now: t0.addingTimeInterval(1), limit: 10, lease: 60)
            #expect(again.map(\.id) == [claimed[1].id])
        }
    }

    @Test(arguments: Backend.allCases)
    func anIssuesNextAlertOnAChannelWaitsUntilTheEarlierOneIsNoLongerPending(_ backend: Backend) async throws {
        try await with(backend) { store in
            // Issue 1: new (slack), then escalation (slack and mail); issue 2: new (slack).
            _ = try await store.ingest([item("a"), item("b", at: 1), item("c", at: 2), item("d", fingerprint: "2", at: 3)], processor: processor)
            let first = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60)
            #expect(first.map { "\($0.channel) \($0.alert.kind)" } == ["slack new", "mail escalation", "slack new"])
            // Retrying is still pending: the escalation keeps waiting behind it, even when due.
            try await store.finishDeliveries([(first[0], .retry(at: t0.addingTimeInterval(10), status: 503, error: "busy"))], at: t0.addingTimeInterval(6))
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(8), limit: 10, lease: 60).isEmpty)
            // The retry comes first, then the escalation.
            let retried = try await store.claimDeliveries(now: t0.addingTimeInterval(10), limit: 10, lease: 60)
            #expect(retried.map(\.id) == [first[0].id])
            try await store.finishDeliveries([(retried[0], .dead(status: 400, error: "bad"))], at: t0.addingTimeInterval(11))
            let next = try await store.claimDeliveries(now: t0.addingTimeInterval(11), limit: 10, lease: 60)
            #expect(next.map { "\($0.channel) \($0.alert.kind)" } == ["slack escalation"])
        }
    }

    @Test(arguments: Backend.allCases)
    func anAlertHeldBackForARollUpDoesNotHoldUpItsIssuesNextAlert(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", at: 1), item("c", at: 2)], processor: processor)
            let new = try await store.claimDeliveries(now: t0.addingTimeInterval(3), limit: 10, lease: 60, room: ChannelRoom(perChannel: ["slack": 1]))
            try await store.finishDeliveries([(new[0], .deferred(until: t0.addingTimeInterval(60)))], at: t0.addingTimeInterval(3))
            let escalation = try await store.claimDeliveries(now: t0.addingTimeInterval(4), limit: 10, lease: 60, room: ChannelRoom(perChannel: ["slack": 5]))
            #expect(escalation.map(\.alert.kind) == [.escalation])
        }
    }

    @Test(arguments: Backend.allCases)
    func aBatchWritesARowBehindAnEarlierPendingOneOfItsIssueUnclaimed(_ backend: Backend) async throws {
        try await with(backend) { store in
            let claim = OutboxClaim(lease: 60)
            let created = try await store.ingest([item("a")], processor: processor, claim: claim)
            #expect(created.claimed.count == 1)
            let id = try #require(try await store.issues(IssueQuery()).first?.id)
            // The operator resolves it: a resolve message is owed to slack, due now, not claimed yet.
            _ = try await store.resolve(issueID: id, at: t0.addingTimeInterval(1), by: "api", projectName: { _ in "checkout" }, notify: { $0 })
            try await store.finishDeliveries([(created.claimed[0], .delivered(status: 200))], at: t0.addingTimeInterval(1))
            // The regression 50 ms later must not overtake it: written pending, not handed over.
            let regression = try await store.ingest([item("r", at: 1.05)], processor: processor, claim: claim)
            #expect(regression.claimed.isEmpty)
            let due = try await store.claimDeliveries(now: t0.addingTimeInterval(2), limit: 10, lease: 60)
            #expect(due.map(\.alert.kind) == [.resolved])
            try await store.finishDeliveries([(due[0], .delivered(status: 200))], at: t0.addingTimeInterval(2))
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(2), limit: 10, lease: 60).map(\.alert.kind) == [.regression])
            // Two alerts of one issue in one batch: the first is handed over, the second waits.
            let spike = try await store.ingest([item("x", fingerprint: "s", at: 3), item("y", fingerprint: "s", at: 3), item("z", fingerprint: "s", at: 3)], processor: processor, claim: claim)
            #expect(spike.claimed.map { "\($0.channel) \($0.alert.kind)" } == ["slack new", "mail escalation"])
        }
    }

    @Test(arguments: Backend.allCases)
    func aChannelsDueDigestRowsAreClaimedTogetherBeyondItsRoomAndTheLimit(_ backend: Backend) async throws {
        let yaml = Self.yaml.replacingOccurrences(of: "notify: [slack]\n", with: "notify: [slack]\n    digest: 1h\n")
        let digesting = BatchProcessor(config: try ConfigLoader.parse(yaml: yaml, path: "s.yaml", environment: [:]))
        try await with(backend) { store in
            _ = try await store.ingest((1...5).map { item("e\($0)", fingerprint: "f\($0)") }, processor: digesting)
            let due = RollUp.digestDue(after: t0, period: 3600)
            #expect(try await store.claimDeliveries(now: due.addingTimeInterval(-1), limit: 2, lease: 60, room: ChannelRoom(perChannel: ["slack": 2])).isEmpty)
            let claimed = try await store.claimDeliveries(now: due, limit: 2, lease: 60, room: ChannelRoom(perChannel: ["slack": 2]))
            #expect(claimed.count == 5 && claimed.allSatisfy { $0.digest == 3600 })
            // A channel without room takes none of them.
            _ = try await store.ingest((6...7).map { item("e\($0)", fingerprint: "f\($0)") }, processor: digesting)
            #expect(try await store.claimDeliveries(now: due, limit: 2, lease: 60, room: ChannelRoom(perChannel: ["slack": 0, "mail": 2])).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func rowsHeldBackByChannelRateAreClaimedTogetherBeyondTheRoom(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest((1...4).map { item("e\($0)", fingerprint: "f\($0)") }, processor: processor)
            let claimed = try await store.claimDeliveries(now: t0, limit: 10, lease: 60)
            let until = t0.addingTimeInterval(20)
            try await store.finishDeliveries(claimed.map { ($0, .deferred(until: until)) }, at: t0)
            let again = try await store.claimDeliveries(now: until, limit: 1, lease: 60, room: ChannelRoom(perChannel: ["slack": 1]))
            #expect(again.count == 4 && again.allSatisfy(\.heldBack))
        }
    }

    @Test(arguments: Backend.allCases)
    func mutingCancelsTheIssuesAlertsNotYetTakenButNotOneInFlight(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", at: 1), item("c", at: 2), item("d", fingerprint: "2", at: 3)], processor: processor)
            let id = try #require(try await store.issue(projectID: 1, fingerprint: "fp")?.id)
            let inFlight = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 1, lease: 60)
            #expect(inFlight.map(\.issueID) == [id])
            let issue = try #require(try await store.mute(issueID: id, Mute(), at: t0.addingTimeInterval(6)))
            #expect(issue.status == .muted)
            // Issue 1's escalation to slack and mail is cancelled; its claimed alert and issue 2's stay.
            let cancelled = try await store.deliveries(status: .cancelled, limit: 10)
            #expect(cancelled.map(\.alert.kind) == [.escalation, .escalation])
            #expect(cancelled.allSatisfy { $0.lastError == OutboxEntry.mutedError && $0.finishedAt != nil })
            #expect(try await store.deliveryCounts() == [.pending: 2, .cancelled: 2])
            // Retention forgets them like delivered and dead rows.
            #expect(try await store.pruneDeliveries(finishedBefore: t0.addingTimeInterval(7), limit: 10) == 2)
            #expect(try await store.deliveryCounts() == [.pending: 2])
        }
    }

    @Test(arguments: Backend.allCases)
    func aChannelBucketIsKeptBetweenPlansAndStartsFullAtANewRate(_ backend: Backend) async throws {
        try await with(backend) { store in
            let rate = Rate(count: 3, period: 60)
            let took = try await store.withChannelBucket("slack", rate: rate, now: t0) { $0.take(3, now: t0) }
            #expect(took)
            // Another plan (another node, or after a restart) sees the spent bucket, refilled by the time since.
            let left = try await store.withChannelBucket("slack", rate: rate, now: t0.addingTimeInterval(20)) { $0.available(now: t0.addingTimeInterval(20)) }
            #expect(left == 1)
            #expect(try await store.withChannelBucket("mail", rate: rate, now: t0) { $0.available(now: t0) } == 3)
            let faster = try await store.withChannelBucket("slack", rate: Rate(count: 10, period: 60), now: t0.addingTimeInterval(20)) {
                $0.available(now: t0.addingTimeInterval(20))
            }
            #expect(faster == 10)
        }
    }

    @Test(arguments: Backend.allCases)
    func outcomesWrittenTogetherAndBusyChannelsSkipped(_ backend: Backend) async throws {
        try await with(backend) { store in
            // Critical spike: alerts to slack and mail; another issue to slack only.
            _ = try await store.ingest([item("a"), item("b", at: 1), item("c", at: 2), item("d", fingerprint: "2", at: 3)], processor: processor)
            let notSlack = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60, room: ChannelRoom(perChannel: ["slack": 0, "mail": 8]))
            #expect(notSlack.map(\.channel) == ["mail"])
            // Issue 1's escalation waits for its new-issue alert on slack (its turn); issue 2's goes.
            let slack = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60)
            #expect(slack.map(\.channel) == ["slack", "slack"] && slack.map(\.alert.kind) == [.new, .new])
            try await store.finishDeliveries(
                [(slack[0], .delivered(status: 200)), (slack[1], .dead(status: 410, error: "gone")),
                 (notSlack[0], .retry(at: t0.addingTimeInterval(90), status: nil, error: "timeout"))],
                at: t0.addingTimeInterval(6))
            #expect(try await store.deliveryCounts() == [.delivered: 1, .dead: 1, .pending: 2])
            let escalation = try await store.claimDeliveries(now: t0.addingTimeInterval(6), limit: 10, lease: 60)
            #expect(escalation.map(\.alert.kind) == [.escalation] && escalation.map(\.channel) == ["slack"])
            try await store.finishDeliveries([(escalation[0], .deferred(until: t0.addingTimeInterval(30)))], at: t0.addingTimeInterval(7))
            let deferred = try await store.claimDeliveries(now: t0.addingTimeInterval(30), limit: 10, lease: 60)
            #expect(deferred.map(\.id) == [escalation[0].id])
            #expect(deferred.first?.heldBack == true)  // it goes out in a roll-up
            #expect(deferred.first?.attempts == 1)  // a deferral is not an attempt
            #expect(try await store.deliveries(status: .dead, limit: 5).first?.lastError == "gone")
        }
    }

    @Test(arguments: Backend.allCases)
    func aHeldRowWaitsPendingWithItsReasonAndItsAttemptIsNotCounted(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a")], processor: processor)
            let claimed = try #require(try await store.claimDeliveries(now: t0, limit: 1, lease: 60).first)
            #expect(claimed.attempts == 1)
            try await store.finishDeliveries(
                [(claimed, .held(until: t0.addingTimeInterval(1), status: 503, error: "circuit open after 5 failures in a row"))],
                at: t0.addingTimeInterval(1))
            let held = try #require(try await store.deliveries(status: .pending, limit: 10).first { $0.id == claimed.id })
            #expect(held.attempts == 0)  // the receiver's failure, not the row's
            #expect(held.lastError == "circuit open after 5 failures in a row" && held.lastStatus == 503)
            let again = try await store.claimDeliveries(now: t0.addingTimeInterval(1), limit: 10, lease: 60)
            #expect(again.first { $0.id == claimed.id }?.attempts == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func deliveryOutcomesAreRecorded(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", fingerprint: "2", at: 1), item("c", fingerprint: "3", at: 2)], processor: processor)
            let rows = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60)
            #expect(rows.count == 3)
            try await store.finishDelivery(id: rows[0].id, result: .delivered(status: 200), at: t0.addingTimeInterval(6))
            try await store.finishDelivery(id: rows[1].id, result: .retry(at: t0.addingTimeInterval(100), status: 503, error: "busy"), at: t0.addingTimeInterval(6))
            try await store.finishDelivery(id: rows[2].id, result: .dead(status: 404, error: "HTTP 404: no such hook"), at: t0.addingTimeInterval(6))
            #expect(try await store.deliveryCounts() == [.delivered: 1, .pending: 1, .dead: 1])
            #expect(try await store.nextDeliveryDue() == t0.addingTimeInterval(100))
            #expect(try await store.claimDeliveries(now: t0.addingTimeInterval(99), limit: 10, lease: 60).isEmpty)
            let dead = try #require(try await store.deliveries(status: .dead, limit: 10).first)
            #expect(dead.lastError == "HTTP 404: no such hook")
            #expect(dead.lastStatus == 404)
            #expect(try await store.retryDelivery(id: dead.id, at: t0.addingTimeInterval(200)))
            let retried = try await store.claimDeliveries(now: t0.addingTimeInterval(200), limit: 10, lease: 60)
            #expect(retried.map(\.id).contains(dead.id))
            #expect(try await store.retryDelivery(id: 999_999, at: t0) == false)
        }
    }

    @Test(arguments: Backend.allCases)
    func resolveMuteAndUnmuteChangeTheIssue(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a")], processor: processor)
            let id = try #require(try await store.issues(IssueQuery()).first?.id)
            #expect(try await store.resolve(issueID: id, at: t0)?.status == .resolved)
            let outcome = try await store.ingest([item("b", at: 10)], processor: processor)
            #expect(outcome == [.stored(issueID: id, alert: .regression)])
            let muted = try await store.mute(issueID: id, Mute(remainingEvents: 3), at: t0)
            #expect(muted?.status == .muted && muted?.mute?.remainingEvents == 3)
            #expect(try await store.issues(IssueQuery(status: .muted)).map(\.id) == [id])
            #expect(try await store.unmute(issueID: id, at: t0)?.status == .open)
            #expect(try await store.resolve(issueID: 12345, at: t0) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func pruningRemovesOldEventsButKeepsIssuesAndDedupOfRecentOnes(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("old", at: -86400 * 20), item("new")], processor: processor)
            #expect(try await store.pruneEvents(before: t0.addingTimeInterval(-86400 * 14), limit: 500) == 1)
            #expect(try await store.issues(IssueQuery()).first?.count == 2)
            #expect(try await store.ingest([item("new", at: 5)], processor: processor) == [.duplicate])
        }
    }

    @Test(arguments: Backend.allCases)
    func pruningGoesInStepsOfAtMostTheLimitOldestFirst(_ backend: Backend) async throws {
        try await with(backend) { store in
            let old = (0..<7).map { item("old\($0)", fingerprint: "fp\($0 % 3)", at: -86400 * 20 + Double($0)) }
            _ = try await store.ingest(old + [item("new")], processor: processor)
            let cutoff = t0.addingTimeInterval(-86400 * 14)
            var steps: [Int] = []
            for _ in 0..<4 { steps.append(try await store.pruneEvents(before: cutoff, limit: 3)) }
            #expect(steps == [3, 3, 1, 0])
            // The oldest went first: after one step of 3, "old3" is still a duplicate.
            #expect(try await store.ingest([item("new", at: 5)], processor: processor) == [.duplicate])
            #expect(try await store.issues(IssueQuery()).map(\.count).reduce(0, +) == 8)
        }
    }

    @Test(arguments: Backend.allCases)
    func pruningDeliveriesTakesFinishedRowsOnlyInSteps(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest([item("a"), item("b", fingerprint: "2", at: 1), item("c", fingerprint: "3", at: 2)], processor: processor)
            let rows = try await store.claimDeliveries(now: t0.addingTimeInterval(5), limit: 10, lease: 60)
            try await store.finishDelivery(id: rows[0].id, result: .delivered(status: 200), at: t0.addingTimeInterval(6))
            try await store.finishDelivery(id: rows[1].id, result: .dead(status: 404, error: "gone"), at: t0.addingTimeInterval(6))
            try await store.finishDelivery(id: rows[2].id, result: .retry(at: t0.addingTimeInterval(100), status: 503, error: "busy"), at: t0.addingTimeInterval(6))
            // Strictly before: rows finished at the cutoff stay.
            #expect(try await store.pruneDeliveries(finishedBefore: t0.addingTimeInterval(6), limit: 10) == 0)
            let cutoff = t0.addingTimeInterval(1000)
            #expect(try await store.pruneDeliveries(finishedBefore: cutoff, limit: 1) == 1)
            #expect(try await store.pruneDeliveries(finishedBefore: cutoff, limit: 1) == 1)
            #expect(try await store.pruneDeliveries(finishedBefore: cutoff, limit: 1) == 0)
            #expect(try await store.deliveryCounts() == [.pending: 1])
        }
    }

    @Test(arguments: Backend.allCases)
    func pruningIssueStateForgetsUsersAndThreadsOfQuietIssuesOnly(_ backend: Backend) async throws {
        try await with(backend) { store in
            let quiet = (1...3).map { item("q\($0)", fingerprint: "quiet", user: "u\($0)", at: -86400 * 20 + Double($0)) }
            _ = try await store.ingest(quiet + [item("l1", fingerprint: "live", user: "u1")], processor: processor)
            let issues = try await store.issues(IssueQuery())
            let quietID = try #require(issues.first { $0.fingerprint == "quiet" }?.id)
            let liveID = try #require(issues.first { $0.fingerprint == "live" }?.id)
            try await store.setThreadReference(issueID: quietID, channel: "slack", reference: "1.1")
            try await store.setThreadReference(issueID: liveID, channel: "slack", reference: "2.2")

            let cutoff = t0.addingTimeInterval(-86400 * 14)
            let first = try await store.pruneIssueState(lastSeenBefore: cutoff, after: nil, limit: 2)
            #expect(first.removed == 2 && !first.finished && first.cursor == nil)
            let second = try await store.pruneIssueState(lastSeenBefore: cutoff, after: first.cursor, limit: 2)
            #expect(second.removed == 2 && !second.finished && second.cursor?.id == quietID)
            let third = try await store.pruneIssueState(lastSeenBefore: cutoff, after: second.cursor, limit: 2)
            #expect(third == IssuePruneStep(removed: 0, cursor: second.cursor, finished: true))

            #expect(try await store.threadReference(issueID: quietID, channel: "slack") == nil)
            #expect(try await store.threadReference(issueID: liveID, channel: "slack") == "2.2")
            // A forgotten user counts anew when the quiet issue comes back; the live issue still knows its user.
            _ = try await store.ingest([item("q4", fingerprint: "quiet", user: "u1", at: 10), item("l2", fingerprint: "live", user: "u1", at: 10)], processor: processor)
            #expect(try await store.issue(id: quietID)?.userCount == 4)
            #expect(try await store.issue(id: liveID)?.userCount == 1)
        }
    }

    /// The deploy context of the alerts `store` owes to "slack", oldest first.
    func deployContexts(_ store: any Store) async throws -> [DeployContext?] {
        try await store.deliveries(status: nil, limit: 100).filter { $0.channel == "slack" }.sorted { $0.id < $1.id }.map(\.alert.deploy)
    }

    @Test(arguments: Backend.allCases)
    func releasesAreRememberedAcrossBatchesPerProjectAndCountTheirNewIssues(_ backend: Backend) async throws {
        try await with(backend) { store in
            let release = "shop@2.0.0"
            _ = try await store.ingest([item("a", fingerprint: "a", release: release)], processor: processor)
            _ = try await store.ingest([item("b", fingerprint: "b", release: release, at: 60)], processor: processor)
            // Another project names a release alike: its own, first seen now.
            _ = try await store.ingest([item("c", fingerprint: "c", project: 2, release: release, at: 120)], processor: processor)
            // More events of known issues bring no new issue; an event without a release counts nowhere.
            _ = try await store.ingest(
                [item("d", fingerprint: "a", release: release, at: 130), item("e", fingerprint: "x", at: 140)], processor: processor)
            _ = try await store.ingest([item("f", fingerprint: "f", release: release, at: 240)], processor: processor)
            #expect(try await deployContexts(store) == [
                DeployContext(release: release, firstSeen: t0, newIssues: 1),
                DeployContext(release: release, firstSeen: t0, newIssues: 2),
                DeployContext(release: release, firstSeen: t0.addingTimeInterval(120), newIssues: 1),
                nil,
                DeployContext(release: release, firstSeen: t0, newIssues: 3),
            ])
        }
    }

    @Test(arguments: Backend.allCases)
    func pruningForgetsReleasesNotSeenSinceTheCutoffInSteps(_ backend: Backend) async throws {
        try await with(backend) { store in
            _ = try await store.ingest(
                [item("a", fingerprint: "a", release: "1.0", at: -86400 * 20), item("b", fingerprint: "b", release: "1.1", at: -86400 * 19),
                 item("c", fingerprint: "c", release: "2.0", at: -600)], processor: processor)
            let cutoff = t0.addingTimeInterval(-86400 * 14)
            #expect(try await store.pruneReleases(lastSeenBefore: cutoff, limit: 1) == 1)
            #expect(try await store.pruneReleases(lastSeenBefore: cutoff, limit: 1) == 1)
            #expect(try await store.pruneReleases(lastSeenBefore: cutoff, limit: 1) == 0)
            // A forgotten release that comes back is first seen again; a kept one goes on counting.
            _ = try await store.ingest(
                [item("d", fingerprint: "d", release: "1.0", at: 0), item("e", fingerprint: "e", release: "2.0", at: 0)], processor: processor)
            #expect(try await deployContexts(store).suffix(2) == [
                DeployContext(release: "1.0", firstSeen: t0, newIssues: 1),
                DeployContext(release: "2.0", firstSeen: t0.addingTimeInterval(-600), newIssues: 2),
            ])
        }
    }
}

/// What only the SQLite backend can show: the data outlives the connection.
struct SQLiteDurabilityTests {
    /// A database path in a fresh temporary directory, removed after `body`.
    func withDatabasePath(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory.appendingPathComponent("db.sqlite").path)
    }

    @Test func issuesAndOutboxSurviveReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-\(UUID().uuidString)/db.sqlite").path
        let processor = BatchProcessor(config: try ConfigLoader.parse(yaml: StoreContractTests.yaml, path: "s.yaml", environment: [:]))
        let logger = Logger(label: "test")
        var store = try await SQLiteStore.open(path: path, logger: logger)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await store.ingest([IngestItem(projectID: 1, event: Event(eventID: "a", timestamp: now, message: "m"), fingerprint: "f", receivedAt: now)], processor: processor)
        try await store.close()
        store = try await SQLiteStore.open(path: path, logger: logger)
        #expect(try await store.issues(IssueQuery()).count == 1)
        #expect(try await store.deliveries(status: .pending, limit: 10).count == 1)
        try await store.close()
    }

    /// An issue's windows are committed with it: a spike that straddles a restart
    /// (the cache gone, the snapshot read from the file) still counts every event.
    @Test func windowCountsSurviveReopening() async throws {
        try await withDatabasePath { path in
            let contract = try StoreContractTests()
            var store = try await SQLiteStore.open(path: path, logger: Logger(label: "before"))
            _ = try await store.ingest([contract.item("a"), contract.item("b", at: 1)], processor: contract.processor)
            try await store.close()
            store = try await SQLiteStore.open(path: path, logger: Logger(label: "after"))
            // The third event in 5 minutes is a spike (over 2) only if the first two were kept.
            let third = try await store.ingest([contract.item("c", at: 2)], processor: contract.processor)
            guard case .stored(let id, let alert) = third.first else { Issue.record("not stored: \(third)"); return }
            #expect(alert == .escalation)
            #expect(try await store.issue(id: id)?.severity == .critical)
            try await store.close()
        }
    }

    /// The daemon keeps the issues it wrote in memory (`IssueCache`); `firebell issues
    /// resolve` writes the same file from another process. The daemon's next event of
    /// that issue must see the resolve: a regression, not an open issue counting on.
    @Test func aResolveByAnotherConnectionIsSeenByTheNextBatch() async throws {
        try await withDatabasePath { path in
            let contract = try StoreContractTests()
            let daemon = try await SQLiteStore.open(path: path, logger: Logger(label: "daemon"))
            let first = try await daemon.ingest([contract.item("a")], processor: contract.processor)
            guard case .stored(let id, _) = first.first else { Issue.record("not stored: \(first)"); return }
            #expect(try await daemon.ingest([contract.item("b", at: 1)], processor: contract.processor) == [.stored(issueID: id, alert: nil)])

            let cli = try await SQLiteStore.open(path: path, logger: Logger(label: "cli"))
            #expect(try await cli.resolve(issueID: id, at: contract.t0.addingTimeInterval(2))?.status == .resolved)
            try await cli.close()

            #expect(try await daemon.ingest([contract.item("c", at: 3)], processor: contract.processor) == [.stored(issueID: id, alert: .regression)])
            let issue = try #require(try await daemon.issue(id: id))
            #expect(issue.status == .open && issue.count == 3)
            try await daemon.close()
        }
    }

    /// A batch that rolls back must not leave its issues behind in the cache: the
    /// next batch would count on from states that were never committed.
    @Test func aRolledBackBatchLeavesNoIssueStateBehind() async throws {
        try await withDatabasePath { path in
            let contract = try StoreContractTests()
            let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
            _ = try await store.ingest([contract.item("a")], processor: contract.processor)
            // Event "b" fails its insert, after the batch has written its issue.
            let other = try await SQLiteStore.open(path: path, logger: Logger(label: "other"))
            try await other.execute(
                "CREATE TRIGGER refuse_b BEFORE INSERT ON events WHEN NEW.event_id = 'b' BEGIN SELECT RAISE(ABORT, 'refused'); END")
            try await other.close()
            await #expect(throws: (any Error).self) {
                try await store.ingest([contract.item("b", at: 1)], processor: contract.processor)
            }
            _ = try await store.ingest([contract.item("c", at: 2)], processor: contract.processor)
            let issue = try #require(try await store.issues(IssueQuery()).first)
            #expect(issue.count == 2)
            try await store.close()
        }
    }
}

/// Resolve notices and thread references, for every backend.
struct StoreFollowUpTests {
    let contract: StoreContractTests

    init() throws { contract = try StoreContractTests() }

    @Test(arguments: StoreContractTests.Backend.allCases)
    func resolvingOwesAResolveMessageToTheChannelsPickedFromThoseThatAlerted(_ backend: StoreContractTests.Backend) async throws {
        try await contract.with(backend) { store in
            // Three events in 5 minutes: alerts to slack (new) and to slack + mail (escalation).
            _ = try await store.ingest([contract.item("a"), contract.item("b", at: 1), contract.item("c", at: 2)], processor: contract.processor)
            let id = try #require(try await store.issues(IssueQuery()).first?.id)
            let seen = Mutex<[String]>([])
            let resolved = try await store.resolve(
                issueID: id, at: contract.t0.addingTimeInterval(60), by: "api", projectName: { "project \($0)" },
                notify: { channels in
                    seen.withLock { $0 = channels }
                    return channels.filter { $0 != "mail" }
                })
            #expect(resolved?.status == .resolved)
            #expect(try await store.issue(id: id)?.resolvedBy == "api")
            #expect(seen.withLock { $0 } == ["mail", "slack"])
            let notices = try await store.deliveries(status: .pending, limit: 20).filter { $0.alert.kind == .resolved }
            #expect(notices.map(\.channel) == ["slack"])
            #expect(notices.first?.alert.projectName == "project 1")
            // Resolving again owes nothing more.
            _ = try await store.resolve(issueID: id, at: contract.t0.addingTimeInterval(70), by: "cli", projectName: { _ in "" }, notify: { $0 })
            #expect(try await store.deliveries(status: .pending, limit: 20).filter { $0.alert.kind == .resolved }.count == 1)
            #expect(try await store.issue(id: id)?.resolvedBy == "api")
            // A regression reopens it: nobody resolved it now.
            _ = try await store.ingest([contract.item("d", at: 80)], processor: contract.processor)
            #expect(try await store.issue(id: id)?.resolvedBy == nil)
        }
    }

    @Test(arguments: StoreContractTests.Backend.allCases)
    func theFirstThreadReferenceIsKept(_ backend: StoreContractTests.Backend) async throws {
        try await contract.with(backend) { store in
            #expect(try await store.threadReference(issueID: 1, channel: "slack") == nil)
            try await store.setThreadReference(issueID: 1, channel: "slack", reference: "C1|111.1")
            try await store.setThreadReference(issueID: 1, channel: "slack", reference: "C1|222.2")
            try await store.setThreadReference(issueID: 1, channel: "discord", reference: "99")
            #expect(try await store.threadReference(issueID: 1, channel: "slack") == "C1|111.1")
            #expect(try await store.threadReference(issueID: 1, channel: "discord") == "99")
            #expect(try await store.threadReference(issueID: 2, channel: "slack") == nil)
            // Its message deleted: forgotten, and the next first message's reference is kept.
            try await store.forgetThreadReference(issueID: 1, channel: "slack")
            #expect(try await store.threadReference(issueID: 1, channel: "slack") == nil)
            #expect(try await store.threadReference(issueID: 1, channel: "discord") == "99")
            try await store.setThreadReference(issueID: 1, channel: "slack", reference: "C1|333.3")
            #expect(try await store.threadReference(issueID: 1, channel: "slack") == "C1|333.3")
        }
    }
}

struct IssueCacheTests {
    func issue(_ n: Int) -> FirebellCore.Issue {
        FirebellCore.Issue(
            id: Int64(n), projectID: 1, fingerprint: "fp\(n)", title: "t", level: .error, severity: .minor, explanation: "",
            score: 0, firstSeen: Date(timeIntervalSince1970: 0), lastSeen: Date(timeIntervalSince1970: 0))
    }

    func key(_ n: Int) -> IssueCache.Key { IssueCache.Key(projectID: 1, fingerprint: "fp\(n)") }

    @Test func holdsAtMostItsCapacityAndKeepsTheIssuesThatKeepComing() {
        let cache = IssueCache(capacity: 100)
        for n in 0..<1000 {
            cache.store([IssueRecord(issue: issue(n))])
            // Issue 7 comes back all the time; the others once.
            if n % 10 == 0 { cache.store([IssueRecord(issue: issue(7))]) }
            #expect(cache.count <= 100)
        }
        #expect(cache.record(key(7))?.issue.id == 7)
        #expect(cache.record(key(999))?.issue.id == 999)
        #expect(cache.record(key(3)) == nil)
    }

    @Test func aMovedDataVersionEmptiesIt() {
        let cache = IssueCache()
        cache.validate(dataVersion: 1)
        cache.store([IssueRecord(issue: issue(1))])
        cache.validate(dataVersion: 1)
        #expect(cache.record(key(1)) != nil)
        cache.validate(dataVersion: 2)
        #expect(cache.record(key(1)) == nil)
    }
}
