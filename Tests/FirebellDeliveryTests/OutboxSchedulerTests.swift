import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// The worker's admission without I/O: given free slots and rows, which start and
/// which go back.
struct OutboxSchedulerTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func makeScheduler(maxInFlight: Int, perChannel: Int, channelRate: String? = nil) throws -> OutboxScheduler {
        let config = try ConfigLoader.parse(yaml: """
            projects:
              - { id: 1, name: shop, keys: [k] }
            channels:
              a: { type: console }
              b: { type: console }
            routes:
              - { when: { severity: [minor, critical] }, notify: [a, b] }
            \(channelRate.map { "alerting: { channel_rate: \($0) }" } ?? "")
            """, path: "scheduler.yaml", environment: [:])
        return OutboxScheduler(settings: OutboxWorker.Settings(config: config), maxInFlight: maxInFlight, maxInFlightPerChannel: perChannel)
    }

    /// Rows named like `a1`: channel `a`, and an id unique across the test; each its own
    /// issue, or `issue`'s.
    func rows(_ names: String..., issue: Int64? = nil, heldBack: Bool = false) -> [OutboxEntry] {
        names.map { name in
            let id = Int64(name.unicodeScalars.reduce(0) { $0 * 256 + Int($1.value) })
            return OutboxEntry(
                id: id, issueID: issue ?? id, channel: String(name.prefix { $0.isLetter }), alert: ChannelEncoderTests.alert(title: name),
                status: .pending, attempts: 1, nextAttemptAt: now, createdAt: now, heldBack: heldBack)
        }
    }

    func names(_ ids: [Int64], of rows: [OutboxEntry]) -> [String] {
        ids.map { id in rows.first { $0.id == id }!.alert.title }
    }

    func describe(_ start: [(channel: String, rows: [OutboxEntry])]) -> [String] {
        start.flatMap { $0.rows.map(\.alert.title) }
    }

    func singles(_ admission: OutboxScheduler.Admission, _ scheduler: inout OutboxScheduler) -> [DeliveryUnit] {
        scheduler.singles(admission)
    }

    @Test func handedRowsStartWithinTheFreeSlotsPerChannelAndInAllAndTheRestGoBack() throws {
        var scheduler = try makeScheduler(maxInFlight: 3, perChannel: 2)
        let handed = rows("a1", "a2", "a3", "b1", "b2")
        scheduler.hand(handed)
        let admission = scheduler.admitHanded(now: now)
        // a3: channel a has 2 slots; b2: 3 slots in all.
        #expect(describe(admission.start) == ["a1", "a2", "b1"])
        #expect(names(admission.back, of: handed) == ["a3", "b2"])
        #expect(scheduler.inFlight == 3 && scheduler.busy == ["a": 2, "b": 1])
        // No slot left: no claim of the worker's own either.
        #expect(scheduler.nextClaim(now: now) == nil)
        // Handed rows are decided on once.
        #expect(scheduler.admitHanded(now: now).start.isEmpty)
    }

    @Test func slotsInUseCountAgainstTheNextAdmission() throws {
        var scheduler = try makeScheduler(maxInFlight: 4, perChannel: 2)
        _ = scheduler.admit(rows("a1", "a2"), now: now)
        let next = rows("a3", "b1", "b2", "b3")
        let admission = scheduler.admit(next, now: now)
        // a is full; two slots are left in all, and b may take both.
        #expect(describe(admission.start) == ["b1", "b2"])
        #expect(names(admission.back, of: next) == ["a3", "b3"])
    }

    @Test func aFinishedUnitFreesItsSlotAndLeavesItsOutcomeToBeWritten() throws {
        var scheduler = try makeScheduler(maxInFlight: 2, perChannel: 1)
        let admission = scheduler.admit(rows("a1", "b1"), now: now)
        let units = singles(admission, &scheduler)
        #expect(scheduler.nextClaim(now: now) == nil)
        scheduler.finish(units[0], report: .init(result: .delivered(status: 200), signal: .alive), now: now)
        let next = scheduler.nextClaim(now: now)
        let claim = try #require(next)
        // One slot in all, and it is channel a's: b's one slot is in use.
        #expect(claim.limit == 1)
        #expect(claim.room.perChannel == ["a": 1, "b": 0])
        let finished = scheduler.takeFinished()
        #expect(finished.map(\.entry.alert.title) == ["a1"] && finished.map(\.result) == [.delivered(status: 200)])
        #expect(scheduler.takeFinished().isEmpty)
    }

    @Test func rowsOfChannelsGoneFromTheConfigShareOneChannelsSlots() throws {
        var scheduler = try makeScheduler(maxInFlight: 4, perChannel: 1)
        let handed = rows("gone1", "old1", "a1")
        let admission = scheduler.admit(handed, now: now)
        // They only dead-letter, but still no more of them at once than one channel's slots.
        #expect(describe(admission.start) == ["a1", "gone1"])
        #expect(names(admission.back, of: handed) == ["old1"])
    }

    @Test func underChannelRateAChannelTakesAllFreeSlotsAndItsPlannedUnitsFreeTheRest() throws {
        var scheduler = try makeScheduler(maxInFlight: 3, perChannel: 1, channelRate: "2/min")
        let handed = rows("a1", "a2", "a3", "a4")
        let admission = scheduler.admit(handed, now: now)
        // Three rows fit the three slots, a slot each until they are planned.
        #expect(describe(admission.start) == ["a1", "a2", "a3"])
        #expect(names(admission.back, of: handed) == ["a4"])
        #expect(scheduler.inFlight == 3)
        // Planned as one alone and a roll-up of two: two slots.
        scheduler.planned(channel: "a", rows: 3, units: 2)
        #expect(scheduler.inFlight == 2 && scheduler.busy["a"] == 2)
        #expect(scheduler.nextClaim(now: now)?.limit == 1)
    }

    @Test func rowsThatCouldNotBePlannedFreeTheirSlotsAndTurns() throws {
        var scheduler = try makeScheduler(maxInFlight: 3, perChannel: 3)
        let admission = scheduler.admit(rows("a1", issue: 7), now: now)
        scheduler.abandon(channel: "a", rows: admission.start[0].rows)
        #expect(scheduler.inFlight == 0 && scheduler.busy["a"] == 0)
        #expect(describe(scheduler.admit(rows("a2", issue: 7), now: now).start) == ["a2"])
    }

    @Test func aRowWaitsWhileAnEarlierOneOfItsIssueIsInFlightOnItsChannel() throws {
        var scheduler = try makeScheduler(maxInFlight: 8, perChannel: 8)
        let first = scheduler.admit(rows("a1", "b1", issue: 7), now: now)
        let units = singles(first, &scheduler)
        // Issue 7 is in flight on a and on b: its next rows there go back, another issue's start.
        let next = rows("a2", "b2", issue: 7) + rows("a3")
        let waiting = scheduler.admit(next, now: now)
        #expect(describe(waiting.start) == ["a3"])
        #expect(names(waiting.back, of: next) == ["a2", "b2"])
        // Once a's is done, the next of issue 7 on a may go; b's still waits.
        scheduler.finish(units[0], report: .init(result: .delivered(status: 200), signal: .alive), now: now)
        let later = rows("a2", "b2", issue: 7)
        let admitted = scheduler.admit(later, now: now)
        #expect(describe(admitted.start) == ["a2"])
        #expect(names(admitted.back, of: later) == ["b2"])
    }

    @Test func twoRowsOfOneIssueInOneClaimGoOneAtATimeUnlessBothWereHeldBack() throws {
        var scheduler = try makeScheduler(maxInFlight: 8, perChannel: 8)
        let claimed = rows("a1", "a2", issue: 7)
        let admission = scheduler.start(claimed, now: now)
        #expect(describe(admission.start) == ["a1"])
        #expect(names(admission.back, of: claimed) == ["a2"])
        // Held back by channel_rate: they go out together, in one roll-up.
        #expect(describe(scheduler.start(rows("a3", "a4", issue: 8, heldBack: true), now: now).start) == ["a3", "a4"])
    }

    @Test func theWorkersOwnClaimLooksForGoneChannelsOnlyAfterAPollTick() throws {
        var scheduler = try makeScheduler(maxInFlight: 2, perChannel: 32)
        #expect(scheduler.nextClaim(now: now)?.room.others == 2)  // the first claim after start
        #expect(scheduler.nextClaim(now: now)?.room.others == 0)
        scheduler.tick()
        _ = singles(scheduler.admit(rows("a1", "a2"), now: now), &scheduler)
        // No free slot: the tick is kept for the claim that can use it.
        #expect(scheduler.nextClaim(now: now) == nil)
        scheduler.finish(.single(rows("a1")[0]), report: .init(result: .delivered(status: 0), signal: .alive), now: now)
        #expect(scheduler.nextClaim(now: now)?.room == ChannelRoom(perChannel: ["a": 1, "b": 1], others: 1))
    }
}

extension OutboxScheduler {
    /// Admitted rows planned as the worker plans them without `channel_rate`: one unit each.
    mutating func singles(_ admission: Admission) -> [DeliveryUnit] {
        admission.start.flatMap { channel, rows in
            planned(channel: channel, rows: rows.count, units: rows.count)
            return rows.map(DeliveryUnit.single)
        }
    }
}
