import FirebellCore
import FirebellStore
import Foundation

/// Which owed alerts start now, and what is waiting: the worker's whole state, as a
/// value with no I/O and no clock (time is passed in).
///
/// `OutboxWorker` keeps one under a single `Mutex`, asks it what to start (rows a
/// commit handed over, then room for a claim of its own), plans each channel's rows
/// into units (`DeliveryPlan`, on the store's shared `channel_rate` bucket), starts
/// them, and tells it what finished. The slots: at most `maxInFlight` units in
/// all, and `maxInFlightPerChannel` per channel, so a receiver that hangs until
/// its timeout holds a few slots, not the whole outbox. Under `channel_rate` every
/// channel may take all free slots instead: what is over its rate becomes one
/// roll-up, one slot. Admitted rows hold a slot each until `planned` says how many
/// units they became.
///
/// Order: at most one row of an issue on a channel is in flight (`OutboxPair`); a
/// later one goes back and waits its turn in the store, so a resolve and the
/// regression after it reach the channel in the order they were decided.
///
/// It also keeps each configured channel's `ChannelGate` — its circuit breaker and
/// parking: a channel whose breaker is open, or that is parked, gets no slot but one
/// probe per interval; its rows wait, pending, in the outbox. The attempt reports what
/// each answer says about the receiver (`finish`), the gate decides.
///
/// ```
///  hand(rows) ──► handed ──► admitHanded ──► rows per channel ──► planned ──► finish(unit, report) ──► finished ──► takeFinished
///                               │   (fit the slots, gates       (the worker plans    (frees its slot; the       (written in one batch)
///                               ▼    and turns)                  them into units)     gate may hold the rows)
///                           ids to give back
///  tick() ──► nextClaim: limit + room (unknown channels too on a tick) ──► start(claimed) ──► rows per channel
///                          (gated channels: none, or one probe)                   + ids to give back
/// ```
struct OutboxScheduler: Sendable {
    /// Units (a roll-up is one) in flight at most, in all and per channel.
    let maxInFlight: Int
    let maxInFlightPerChannel: Int
    /// The channels and `channel_rate` in force; the attempt reads the rest.
    private(set) var settings: OutboxWorker.Settings

    /// Units started and not finished.
    private(set) var inFlight = 0
    /// Units started and not finished, per channel.
    private(set) var busy: [String: Int] = [:]
    /// Rows a commit claimed for the worker (`take`), not started yet.
    private var handed: [OutboxEntry] = []
    /// Outcomes waiting to be written.
    private var finished: [(entry: OutboxEntry, result: DeliveryResult)] = []
    /// Rows in flight per issue and channel: a later row of a pair waits its turn.
    private var flying: [OutboxPair: Int] = [:]
    /// Set by the poll ticker: the next claim also looks for rows of unknown channels.
    private var ticked = true
    /// Breaker and parking per configured channel (label values only from the config).
    private(set) var gates: [String: ChannelGate] = [:]
    let gatePolicy: ChannelGate.Policy
    /// Gate changes not yet logged and shown in the gauges.
    private var changes: [(channel: String, change: ChannelGate.Change)] = []

    init(
        settings: OutboxWorker.Settings, maxInFlight: Int, maxInFlightPerChannel: Int,
        gatePolicy: ChannelGate.Policy = ChannelGate.Policy()
    ) {
        self.settings = settings
        self.maxInFlight = maxInFlight
        self.maxInFlightPerChannel = maxInFlightPerChannel
        self.gatePolicy = gatePolicy
        for channel in settings.channels.keys { gates[channel] = ChannelGate() }
    }

    /// What is decided about rows: these start (to be planned per channel, a slot each
    /// until then), these go back.
    struct Admission: Sendable {
        var start: [(channel: String, rows: [OutboxEntry])] = []
        /// Rows over the free slots, or not in their turn: to be given back to the store, due now.
        var back: [Int64] = []
    }

    /// What the worker's own claim may take, and for how long.
    struct Claim: Sendable, Equatable {
        var limit: Int
        var room: ChannelRoom
        var lease: TimeInterval
    }

    /// How long a claim holds a row: `storage.lease`, at least `minimumLease`. The worker
    /// renews the claims of running attempts every third of it (`ClaimRenewal`), so a
    /// receiver slower than the lease keeps its row; the floor leaves a renewal time to
    /// reach the store before the lease it extends runs out.
    var lease: TimeInterval {
        max(settings.lease, Self.minimumLease)
    }

    static let minimumLease: TimeInterval = 5

    /// Slots free in all.
    var capacity: Int { maxInFlight - inFlight }

    /// A reloaded config (a changed `channel_rate` starts with full buckets at the new
    /// rate: the store's bucket knows the rate it was kept at). Parked channels unpark
    /// (the operator may have fixed them); a breaker closes when its channel's config changed.
    mutating func update(settings: OutboxWorker.Settings) {
        let old = self.settings
        self.settings = settings
        var gates: [String: ChannelGate] = [:]
        for channel in settings.channels.keys {
            var gate = self.gates[channel] ?? ChannelGate()
            for change in gate.reloaded(changed: old.channels[channel] != settings.channels[channel]) {
                changes.append((channel, change))
            }
            gates[channel] = gate
        }
        self.gates = gates
    }

    /// Rows a commit claimed for the worker; the next `admitHanded` decides about them.
    mutating func hand(_ rows: [OutboxEntry]) {
        handed += rows
    }

    /// The poll ticker's mark: the next claim also looks for rows of channels gone from
    /// the config (that query reads every due row, so not on every wake-up).
    mutating func tick() {
        ticked = true
    }

    /// Decides about every row handed over since the last call, as a claim now would
    /// have taken them (within the free slots, per channel and in all): those that fit
    /// start, the others go back.
    mutating func admitHanded(now: Date) -> Admission {
        let rows = handed
        handed = []
        return admit(rows, now: now)
    }

    /// The admission: which of `rows` fit the free slots. Those start (their slots
    /// taken); the others' ids go back.
    mutating func admit(_ rows: [OutboxEntry], now: Date) -> Admission {
        guard !rows.isEmpty else { return Admission() }
        let capacity = self.capacity
        let room = room(capacity: capacity, others: true, now: now)
        var taken: [String: Int] = [:]
        var othersTaken = 0
        var fitting: [OutboxEntry] = []
        var admission = Admission()
        for row in rows {
            if fitting.count < capacity, room.admits(row.channel, taken: taken[row.channel, default: 0], othersTaken: othersTaken) {
                if room.perChannel[row.channel] == nil { othersTaken += 1 }
                taken[row.channel, default: 0] += 1
                fitting.append(row)
            } else {
                admission.back.append(row.id)
            }
        }
        let started = start(fitting, now: now)
        admission.start = started.start
        admission.back += started.back
        return admission
    }

    /// What a claim of the worker's own may take now, or nil when no slot is free.
    /// Uses up the poll tick (a claim with no free slot leaves it for the next one).
    mutating func nextClaim(now: Date) -> Claim? {
        let capacity = self.capacity
        guard capacity > 0 else { return nil }
        let others = ticked
        ticked = false
        return Claim(limit: capacity, room: room(capacity: capacity, others: others, now: now), lease: lease)
    }

    /// Admits rows a claim took within its room, per channel, a slot each; the caller
    /// plans and starts them. Rows of a channel that opened or parked since the claim,
    /// or beyond its one probe, go back, as does a row whose issue already has one in
    /// flight on its channel (or earlier in these rows): it waits its turn.
    mutating func start(_ claimed: [OutboxEntry], now: Date) -> Admission {
        var admission = Admission()
        for (channel, all) in Dictionary(grouping: claimed, by: \.channel).sorted(by: { $0.key < $1.key }) {
            var rows: [OutboxEntry] = []
            var taken: [OutboxPair: Bool] = [:]
            for row in all.sorted(by: { $0.id < $1.id }) {
                if row.digest == nil {
                    // Held-back rows of one pair may go together: they share one roll-up.
                    let inTurn = flying[row.pair, default: 0] == 0 && (taken[row.pair].map { $0 && row.heldBack } ?? true)
                    guard inTurn else {
                        admission.back.append(row.id)
                        continue
                    }
                    taken[row.pair] = (taken[row.pair] ?? true) && row.heldBack
                }
                rows.append(row)
            }
            guard !rows.isEmpty else { continue }
            if var gate = gates[channel], !gate.admitsAll {
                // Open or parked: at most the probe starts.
                let probe = gate.room(free: 1, busy: busy[channel, default: 0], now: now) > 0
                admission.back += rows.dropFirst(probe ? 1 : 0).map(\.id)
                guard probe else { continue }
                rows = [rows[0]]
                changes += gate.started().map { (channel, $0) }
                gates[channel] = gate
            }
            inFlight += rows.count
            busy[channel, default: 0] += rows.count
            for row in rows where row.digest == nil { flying[row.pair, default: 0] += 1 }
            admission.start.append((channel, rows))
        }
        return admission
    }

    /// Admitted rows of `channel` became `units` units: the slots they held beyond one
    /// per unit are free.
    mutating func planned(channel: String, rows: Int, units: Int) {
        inFlight -= rows - units
        busy[channel, default: 0] -= rows - units
    }

    /// Admitted rows that could not be planned (the store failed): their slots and turns
    /// are free; the caller gives them back.
    mutating func abandon(channel: String, rows: [OutboxEntry]) {
        inFlight -= rows.count
        busy[channel, default: 0] -= rows.count
        land(rows)
    }

    /// Rows no longer in flight: the next of their pairs may go.
    private mutating func land(_ rows: [OutboxEntry]) {
        for row in rows where row.digest == nil {
            let left = flying[row.pair, default: 1] - 1
            flying[row.pair] = left > 0 ? left : nil
        }
    }

    /// A started unit ended as `report` says: its slot is free, the channel's gate hears
    /// what the answer says about the receiver (and may hold the rows back for its probe),
    /// and the rows' outcomes wait to be written. Returns the result recorded.
    @discardableResult
    mutating func finish(_ unit: DeliveryUnit, report: OutboxAttempt.Report, now: Date) -> DeliveryResult {
        let entries = unit.entries
        var result = report.result
        if let channel = entries.first?.channel {
            busy[channel, default: 1] -= 1
            if var gate = gates[channel] {
                let decided = gate.finished(report.result, signal: report.signal, now: now, policy: gatePolicy)
                result = decided.result
                changes += decided.changes.map { (channel, $0) }
                gates[channel] = gate
            }
        }
        inFlight -= 1
        land(entries)
        finished += entries.map { ($0, result) }
        return result
    }

    /// Gate changes since the last call, for the log and the gauges.
    mutating func takeChanges() -> [(channel: String, change: ChannelGate.Change)] {
        defer { changes = [] }
        return changes
    }

    /// The outcomes gathered since the last call, to be written in one transaction.
    mutating func takeFinished() -> [(entry: OutboxEntry, result: DeliveryResult)] {
        defer { finished = [] }
        return finished
    }

    /// Free slots per configured channel, so no channel's backlog takes the others'
    /// slots. Under `channel_rate` every channel may take all free slots: what is over
    /// its rate becomes one roll-up, one slot. A channel whose breaker is open, or that is
    /// parked, gets none, or one when its probe is due. `others`: also rows of channels
    /// gone from the config (they dead-letter at once).
    func room(capacity: Int, others: Bool, now: Date) -> ChannelRoom {
        var perChannel: [String: Int] = [:]
        for channel in settings.channels.keys {
            let free = settings.channelRate == nil ? maxInFlightPerChannel - busy[channel, default: 0] : capacity
            let open = max(0, min(capacity, free))
            perChannel[channel] = gates[channel]?.room(free: open, busy: busy[channel, default: 0], now: now) ?? open
        }
        return ChannelRoom(perChannel: perChannel, others: others ? max(0, min(capacity, maxInFlightPerChannel)) : 0)
    }
}
