import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// A channel's circuit breaker and parking as a value: time passed in, no I/O.
struct ChannelGateTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = ChannelGate.Policy()
    let failing = ReceiverSignal.failing(reason: "HTTP 503 down", retryAfter: nil)
    let gone = ReceiverSignal.gone(status: 410, reason: "HTTP 410: gone")
    /// What the retry policy made of a failed attempt: try again in a second.
    var retrySoon: DeliveryResult { .retry(at: now.addingTimeInterval(1), status: 503, error: "HTTP 503 down") }

    func at(_ seconds: TimeInterval) -> Date { now.addingTimeInterval(seconds) }

    /// A gate whose breaker opened at `now` after five failures.
    func opened() -> ChannelGate {
        var gate = ChannelGate()
        for _ in 1...5 { _ = gate.finished(retrySoon, signal: failing, now: now, policy: policy) }
        return gate
    }

    /// A gate parked at `now` by a 410.
    func parked() -> ChannelGate {
        var gate = ChannelGate()
        _ = gate.finished(.dead(status: 410, error: "HTTP 410: gone"), signal: gone, now: now, policy: policy)
        return gate
    }

    @Test func theBreakerOpensAfterFiveFailuresInARowAndHoldsTheRowForTheProbe() {
        var gate = ChannelGate()
        for _ in 1...4 {
            let (result, changes) = gate.finished(retrySoon, signal: failing, now: now, policy: policy)
            #expect(result == retrySoon && changes.isEmpty)
        }
        #expect(gate.room(free: 32, busy: 0, now: now) == 32)
        let (result, changes) = gate.finished(retrySoon, signal: failing, now: now, policy: policy)
        #expect(changes == [.opened(until: at(30), failures: 5, reason: "HTTP 503 down")])
        // Held: pending, due at once (the gate says when the channel goes), not counted as an attempt.
        guard case .held(let until, let status, let error) = result else { Issue.record("not held: \(result)"); return }
        #expect(until == now && status == 503)
        #expect(error.hasPrefix("circuit open after 5 failures in a row; next probe at "))
        #expect(error.hasSuffix("; last: HTTP 503 down"))
        // Open: no row is attempted, not even with free slots, until the probe is due.
        #expect(gate.room(free: 32, busy: 0, now: at(29)) == 0)
        #expect(gate.room(free: 32, busy: 0, now: at(30)) == 1)
        // …and only once nothing else of the channel is in flight.
        #expect(gate.room(free: 32, busy: 1, now: at(30)) == 0)
        #expect(gate.breaker.gauge == 2)
    }

    @Test func aSuccessInBetweenStartsTheCountAgain() {
        var gate = ChannelGate()
        for _ in 1...4 { _ = gate.finished(retrySoon, signal: failing, now: now, policy: policy) }
        _ = gate.finished(.delivered(status: 200), signal: .alive, now: now, policy: policy)
        for _ in 1...4 { _ = gate.finished(retrySoon, signal: failing, now: now, policy: policy) }
        #expect(gate.breaker == .closed)
    }

    @Test func aFailedProbeDoublesTheIntervalUpToTheCapAndASuccessfulOneCloses() {
        var gate = opened()
        var clock = at(30)
        var expected: [TimeInterval] = [60, 120, 240, 300, 300]
        while !expected.isEmpty {
            #expect(gate.room(free: 8, busy: 0, now: clock) == 1)
            #expect(gate.started() == [.halfOpened])
            #expect(gate.breaker.gauge == 1)
            #expect(gate.room(free: 8, busy: 0, now: clock) == 0)  // one probe at a time
            let wait = expected.removeFirst()
            let (result, changes) = gate.finished(retrySoon, signal: failing, now: clock, policy: policy)
            #expect(gate.breaker == .open(until: clock.addingTimeInterval(wait)))
            #expect(changes == [.reopened(until: clock.addingTimeInterval(wait), reason: "HTTP 503 down")])
            guard case .held = result else { Issue.record("probe not held: \(result)"); return }
            clock = clock.addingTimeInterval(wait)
        }
        _ = gate.started()
        let (result, changes) = gate.finished(.delivered(status: 200), signal: .alive, now: clock, policy: policy)
        #expect(result == .delivered(status: 200) && changes == [.closed])
        #expect(gate.room(free: 8, busy: 0, now: clock) == 8)
        // Closed again, the interval starts from the beginning.
        #expect(gate.interval(policy) == 30)
    }

    @Test func aLongerRetryAfterKeepsTheBreakerOpenThatLong() {
        var gate = ChannelGate()
        let busy = ReceiverSignal.failing(reason: "HTTP 503", retryAfter: 120)
        for _ in 1...5 { _ = gate.finished(retrySoon, signal: busy, now: now, policy: policy) }
        #expect(gate.breaker == .open(until: at(120)))
        // A shorter one does not shorten the interval.
        var short = ChannelGate()
        for _ in 1...5 { _ = short.finished(retrySoon, signal: .failing(reason: "HTTP 503", retryAfter: 2), now: now, policy: policy) }
        #expect(short.breaker == .open(until: at(30)))
    }

    @Test func aRowThatFailsWhileTheBreakerIsOpenIsNeverDeadLettered() {
        var gate = opened()
        // In flight when the breaker opened, and out of attempts: it waits for the probe instead.
        let gaveUp = DeliveryResult.dead(status: 503, error: "gave up after 20 attempts; last: HTTP 503")
        let (result, changes) = gate.finished(gaveUp, signal: failing, now: at(1), policy: policy)
        guard case .held(let until, _, _) = result else { Issue.record("dead-lettered: \(result)"); return }
        #expect(until == at(1) && changes.isEmpty)
        // It did not move the probe.
        #expect(gate.breaker == .open(until: at(30)))
    }

    @Test func fourTwentyNineIsNotAFailureOfTheReceiver() {
        var gate = ChannelGate()
        let slowDown = DeliveryResult.retry(at: at(60), status: 429, error: "HTTP 429")
        for _ in 1...10 {
            let (result, _) = gate.finished(slowDown, signal: .none, now: now, policy: policy)
            #expect(result == slowDown)  // Retry-After, as the policy read it
        }
        #expect(gate.breaker == .closed)
        // Nor does it break a run of failures' count… or add to it.
        for _ in 1...4 { _ = gate.finished(retrySoon, signal: failing, now: now, policy: policy) }
        _ = gate.finished(slowDown, signal: .none, now: now, policy: policy)
        #expect(gate.breaker == .closed)
        _ = gate.finished(retrySoon, signal: failing, now: now, policy: policy)
        #expect(gate.breaker == .open(until: at(30)))
    }

    @Test func fourTenParksAtOnceAndTheRowWaitsPendingWithTheReason() {
        var gate = ChannelGate()
        let refused = DeliveryResult.dead(status: 410, error: "HTTP 410: gone")
        let (result, changes) = gate.finished(refused, signal: gone, now: now, policy: policy)
        #expect(changes == [.parked(reason: "receiver answered 410 Gone (HTTP 410: gone)")])
        guard case .held(let until, let status, let error) = result else { Issue.record("dead-lettered: \(result)"); return }
        #expect(until == now && status == 410)
        #expect(error == "channel parked: receiver answered 410 Gone (HTTP 410: gone); probed every 5m until an alert is delivered or the config is reloaded")
        #expect(gate.isParked)
        #expect(gate.room(free: 8, busy: 0, now: at(299)) == 0)
        #expect(gate.room(free: 8, busy: 0, now: at(300)) == 1)
    }

    @Test func threeRefusalsInARowPark() {
        var gate = ChannelGate()
        let unauthorized = ReceiverSignal.refused(status: 401, reason: "HTTP 401: bad token")
        let retry = DeliveryResult.retry(at: at(1), status: 401, error: "HTTP 401: bad token")
        #expect(gate.finished(retry, signal: unauthorized, now: now, policy: policy) == (retry, []))
        // An answer in between: not "in a row".
        _ = gate.finished(.delivered(status: 200), signal: .alive, now: now, policy: policy)
        #expect(gate.finished(retry, signal: unauthorized, now: now, policy: policy) == (retry, []))
        #expect(gate.finished(retry, signal: unauthorized, now: now, policy: policy) == (retry, []))
        let (result, changes) = gate.finished(retry, signal: unauthorized, now: now, policy: policy)
        #expect(changes == [.parked(reason: "receiver answered 401 3 times in a row (HTTP 401: bad token)")])
        guard case .held(let until, 401, let error) = result else { Issue.record("not held: \(result)"); return }
        #expect(until == now && error.hasPrefix("channel parked: receiver answered 401 3 times in a row"))
    }

    @Test func parkingAnOpenChannelClosesItsBreakerSoBothGaugesTellTheTruth() {
        var gate = opened()
        _ = gate.started()
        let (_, changes) = gate.finished(.dead(status: 410, error: "gone"), signal: gone, now: at(30), policy: policy)
        #expect(changes == [.closed, .parked(reason: "receiver answered 410 Gone (HTTP 410: gone)")])
        #expect(gate.breaker.gauge == 0 && gate.isParked)
    }

    @Test func aParkedChannelIsProbedEveryIntervalAndUnparksWhenAProbeIsTaken() {
        var gate = parked()
        #expect(gate.room(free: 8, busy: 0, now: at(300)) == 1)
        #expect(gate.started().isEmpty)
        #expect(gate.room(free: 8, busy: 0, now: at(300)) == 0)
        // Still gone: parked, next probe in five minutes; the probe row is held, not dead-lettered.
        let (again, changes) = gate.finished(.dead(status: 410, error: "gone"), signal: gone, now: at(301), policy: policy)
        #expect(changes.isEmpty && gate.isParked)
        guard case .held(let until, _, let error) = again else { Issue.record("dead-lettered: \(again)"); return }
        #expect(until == at(301) && error.hasSuffix("; last: HTTP 410: gone"))
        #expect(gate.room(free: 8, busy: 0, now: at(600)) == 0)
        #expect(gate.room(free: 8, busy: 0, now: at(601)) == 1)
        _ = gate.started()
        let (taken, unparked) = gate.finished(.delivered(status: 200), signal: .alive, now: at(602), policy: policy)
        #expect(taken == .delivered(status: 200) && unparked == [.unparked(why: "an alert was delivered")])
        #expect(gate.room(free: 8, busy: 0, now: at(602)) == 8)
    }

    @Test func rowsInFlightWhenTheChannelParkedAreHeldWithoutPushingTheProbeBack() {
        var gate = parked()
        for second in [1.0, 2, 250] {
            let (result, changes) = gate.finished(.dead(status: 410, error: "gone"), signal: gone, now: at(second), policy: policy)
            guard case .held = result else { Issue.record("dead-lettered: \(result)"); return }
            #expect(changes.isEmpty)
        }
        #expect(gate.room(free: 8, busy: 0, now: at(300)) == 1)
    }

    @Test func aParkedProbeThatIsAnsweredButNotTakenKeepsTheChannelParked() {
        var gate = parked()
        _ = gate.started()
        // A 400 is the message's own fault: that row dies as it would on a healthy channel.
        let refused = DeliveryResult.dead(status: 400, error: "HTTP 400: bad payload")
        #expect(gate.finished(refused, signal: .alive, now: at(300), policy: policy) == (refused, []))
        #expect(gate.isParked && gate.room(free: 8, busy: 0, now: at(599)) == 0 && gate.room(free: 8, busy: 0, now: at(600)) == 1)
    }

    @Test func aConfigReloadUnparksAndClosesTheBreakerOfAChangedChannel() {
        var parked = parked()
        #expect(parked.reloaded(changed: false) == [.unparked(why: "the config was reloaded")])
        #expect(parked.admitsAll)

        var open = opened()
        #expect(open.reloaded(changed: false).isEmpty && !open.admitsAll)  // same receiver: still dead
        #expect(open.reloaded(changed: true) == [.closed] && open.admitsAll)
    }

    @Test func intervalsAreWrittenAsTheConfigWritesDurations() {
        #expect(ChannelGate.duration(300) == "5m")
        #expect(ChannelGate.duration(3600) == "1h")
        #expect(ChannelGate.duration(30) == "30s")
        #expect(ChannelGate.duration(90) == "90s")
        #expect(ChannelGate.duration(0.5) == "500ms")
    }

    // MARK: In the scheduler

    func makeScheduler() throws -> OutboxScheduler {
        let config = try ConfigLoader.parse(yaml: """
            projects:
              - { id: 1, name: shop, keys: [k] }
            channels:
              a: { type: webhook, url: "http://127.0.0.1:9/a" }
              b: { type: webhook, url: "http://127.0.0.1:9/b" }
            routes:
              - { when: { severity: [minor, critical] }, notify: [a, b] }
            """, path: "gate.yaml", environment: [:])
        return OutboxScheduler(settings: OutboxWorker.Settings(config: config), maxInFlight: 16, maxInFlightPerChannel: 8)
    }

    func row(_ id: Int64, _ channel: String) -> OutboxEntry {
        OutboxEntry(
            id: id, issueID: id, channel: channel, alert: ChannelEncoderTests.alert(), status: .pending, attempts: 1,
            nextAttemptAt: now, createdAt: now)
    }

    @Test func anOpenChannelGetsNoRoomButItsProbeWhileTheOthersGoOn() throws {
        var scheduler = try makeScheduler()
        for id in 1...5 {
            let unit = scheduler.singles(scheduler.admit([row(Int64(id), "a")], now: now))[0]
            scheduler.finish(unit, report: .init(result: retrySoon, signal: failing), now: now)
        }
        #expect(scheduler.takeChanges().map(\.channel) == ["a"])
        #expect(scheduler.nextClaim(now: at(1))?.room.perChannel == ["a": 0, "b": 8])
        // Rows a commit hands over for the open channel go back, pending; b's start.
        let admission = scheduler.admit([row(6, "a"), row(7, "b")], now: at(1))
        #expect(admission.back == [6] && admission.start.map(\.rows.first!.id) == [7])
        // The probe: one row when due, and the breaker is half-open while it runs.
        #expect(scheduler.nextClaim(now: at(30))?.room.perChannel["a"] == 1)
        let probe = scheduler.start([row(8, "a"), row(9, "a")], now: at(30))
        #expect(probe.start.map(\.rows.count) == [1] && probe.back == [9])
        let probing = scheduler.singles(probe)
        #expect(scheduler.gates["a"]?.breaker == .halfOpen)
        #expect(scheduler.nextClaim(now: at(30))?.room.perChannel["a"] == 0)
        scheduler.finish(probing[0], report: .init(result: .delivered(status: 200), signal: .alive), now: at(31))
        #expect(scheduler.nextClaim(now: at(31))?.room.perChannel["a"] == 8)
    }

    @Test func aReloadUnparksEveryChannel() throws {
        var scheduler = try makeScheduler()
        let unit = scheduler.singles(scheduler.admit([row(1, "b")], now: now))[0]
        scheduler.finish(unit, report: .init(result: .dead(status: 410, error: "gone"), signal: .gone(status: 410, reason: "gone")), now: now)
        #expect(scheduler.gates["b"]?.isParked == true)
        scheduler.update(settings: scheduler.settings)
        #expect(scheduler.gates["b"]?.isParked == false)
        let changes = scheduler.takeChanges()
        #expect(changes.count == 2 && changes.last?.change == .unparked(why: "the config was reloaded"))
    }
}
