import FirebellCore
import FirebellStore
import Foundation
import Testing

@testable import FirebellDelivery

/// The worker's admission without I/O: given free slots and rows, which start (as
/// which units) and which go back.
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

    /// Rows named like `a1`: channel `a`, and an id unique across the test.
    func rows(_ names: String...) -> [OutboxEntry] {
        names.map { name in
            let id = Int64(name.unicodeScalars.reduce(0) { $0 * 256 + Int($1.value) })
            return OutboxEntry(
                id: id, issueID: id, channel: String(name.prefix { $0.isLetter }), alert: ChannelEncoderTests.alert(title: name),
                status: .pending, attempts: 1, nextAttemptAt: now, createdAt: now)
        }
    }

    func names(_ ids: [Int64], of rows: [OutboxEntry]) -> [String] {
        ids.map { id in rows.first { $0.id == id }!.alert.title }
    }

    func describe(_ units: [DeliveryUnit]) -> [String] {
        units.map { unit in
            let names = unit.entries.map(\.alert.title).joined(separator: " ")
            switch unit {
            case .single: return names
            case .rollUp: return "rollup \(names)"
            case .deferred: return "deferred \(names)"
            }
        }
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
        #expect(scheduler.nextClaim(now: now) == nil)
        scheduler.finish(admission.start[0], report: .init(result: .delivered(status: 200), signal: .alive), now: now)
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

    @Test func underChannelRateAChannelTakesAllFreeSlotsAndWhatIsOverTheRateIsOneRollUp() throws {
        var scheduler = try makeScheduler(maxInFlight: 3, perChannel: 1, channelRate: "2/min")
        let handed = rows("a1", "a2", "a3", "a4")
        let admission = scheduler.admit(handed, now: now)
        // Three rows fit the three slots; two tokens: one alone, the last token carries the rest.
        #expect(describe(admission.start) == ["a1", "rollup a2 a3"])
        #expect(names(admission.back, of: handed) == ["a4"])
        #expect(scheduler.inFlight == 2)
        // The bucket is kept: the next rows wait for a token, in one slot.
        #expect(describe(scheduler.admit(rows("a5"), now: now).start) == ["deferred a5"])
    }

    @Test func aReloadStartsChannelRateBucketsFull() throws {
        var scheduler = try makeScheduler(maxInFlight: 8, perChannel: 8, channelRate: "1/min")
        #expect(describe(scheduler.admit(rows("a1"), now: now).start) == ["a1"])
        #expect(describe(scheduler.admit(rows("a2"), now: now).start) == ["deferred a2"])
        scheduler.update(settings: try makeScheduler(maxInFlight: 8, perChannel: 8, channelRate: "1/min").settings)
        #expect(describe(scheduler.admit(rows("a3"), now: now).start) == ["a3"])
    }

    @Test func theWorkersOwnClaimLooksForGoneChannelsOnlyAfterAPollTick() throws {
        var scheduler = try makeScheduler(maxInFlight: 2, perChannel: 32)
        #expect(scheduler.nextClaim(now: now)?.room.others == 2)  // the first claim after start
        #expect(scheduler.nextClaim(now: now)?.room.others == 0)
        scheduler.tick()
        _ = scheduler.admit(rows("a1", "a2"), now: now)
        // No free slot: the tick is kept for the claim that can use it.
        #expect(scheduler.nextClaim(now: now) == nil)
        scheduler.finish(.single(rows("a1")[0]), report: .init(result: .delivered(status: 0), signal: .alive), now: now)
        #expect(scheduler.nextClaim(now: now)?.room == ChannelRoom(perChannel: ["a": 1, "b": 1], others: 1))
    }
}
