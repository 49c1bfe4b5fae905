import FirebellStore
import Foundation
import Synchronization

/// Keeps the worker's claims alive while their attempts run.
///
/// A claim holds a row for the lease (`storage.lease`); when it runs out the row is due
/// again for every node. A receiver slower than the lease would then get the alert a
/// second time, from another node. So the rows of every started unit are held here from
/// start until their outcome is written, and every `lease / 3` their claims are extended
/// to a lease from now (`Store.renewClaims(ids:until:)`): two renewals can fail before
/// another node may take a row. A node that dies stops renewing, and the others take its
/// rows within one lease.
///
/// ```
///  start(unit) ──► hold(ids) ──► (every lease/3: renewClaims(held, now + lease)) ──► flush ──► release(ids)
/// ```
final class ClaimRenewal: Sendable {
    private let held = Mutex<Set<Int64>>([])

    /// The rows of a started unit: renewed until released.
    func hold(_ ids: some Sequence<Int64>) {
        held.withLock { $0.formUnion(ids) }
    }

    /// Rows whose outcome was written (or could not be: their lease then runs out and
    /// they are sent again, at-least-once).
    func release(_ ids: some Sequence<Int64>) {
        held.withLock { $0.subtract(ids) }
    }

    /// The rows held now.
    var ids: [Int64] { held.withLock { Array($0) } }

    /// One renewal: every held row's claim runs until `now + lease`. Returns how many the store renewed.
    @discardableResult
    func renew(in store: any Store, now: Date, lease: TimeInterval) async throws -> Int {
        let ids = self.ids
        guard !ids.isEmpty else { return 0 }
        return try await store.renewClaims(ids: ids.sorted(), until: now.addingTimeInterval(lease))
    }

    /// Renews every `lease / 3` (the lease read anew each time: a reload may change it)
    /// until the task is cancelled. A failed renewal is logged once per outage of the
    /// store; the next one tries again.
    func run(store: any Store, lease: @Sendable () -> TimeInterval, clock: @Sendable () -> Date, trouble: StoreTroubleLog) async {
        while !Task.isCancelled {
            let lease = lease()
            do { try await Task.sleep(for: .seconds(lease / 3)) } catch { return }
            do {
                try await renew(in: store, now: clock(), lease: lease)
                trouble.succeeded("renewing delivery claims works")
            } catch {
                trouble.failed("could not renew the claims of deliveries in flight", error, metadata: ["delivery.ids": "\(ids)"])
            }
        }
    }
}
