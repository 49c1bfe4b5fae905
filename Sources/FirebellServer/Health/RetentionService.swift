import FirebellStore
import Foundation
import ServiceLifecycle

/// Hourly, what is older than `storage.retention` goes: raw events, delivered and dead
/// outbox rows, the remembered users and thread references of issues not seen
/// within it, and releases not seen within it. Issues stay.
///
/// In steps of at most `stepRows` rows, each its own transaction, with a yield between:
/// the ingest writer waits at most one step, never a whole pass (deleting a week of
/// events at once held it for seconds).
struct RetentionService: Service {
    static let stepRows = 500
    static let interval: Duration = .seconds(3600)

    let firebell: Firebell
    var interval: Duration = RetentionService.interval

    /// What one pass deleted.
    struct Pass: Equatable {
        var events = 0
        var deliveries = 0
        var issueState = 0
        var releases = 0
    }

    func run() async throws {
        var cursor: IssuePruneCursor?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let pass = try await prune(cursor: &cursor)
                if pass != Pass() {
                    firebell.logger.info("pruned past storage.retention", metadata: [
                        "store.pruned_events": "\(pass.events)", "store.pruned_deliveries": "\(pass.deliveries)",
                        "store.pruned_issue_rows": "\(pass.issueState)", "store.pruned_releases": "\(pass.releases)",
                    ])
                }
            } catch {
                firebell.logger.warning("could not prune past storage.retention", metadata: ["error": "\(error)"])
            }
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass. The issue walk goes on from `cursor` (where the last pass ended), so a
    /// pass reads only the issues that went quiet since.
    func prune(cursor: inout IssuePruneCursor?) async throws -> Pass {
        let store = firebell.store
        let cutoff = firebell.clock().addingTimeInterval(-firebell.config.storage.retention)
        var pass = Pass()
        pass.events = try await drain { try await store.pruneEvents(before: cutoff, limit: Self.stepRows) }
        pass.deliveries = try await drain { try await store.pruneDeliveries(finishedBefore: cutoff, limit: Self.stepRows) }
        pass.releases = try await drain { try await store.pruneReleases(lastSeenBefore: cutoff, limit: Self.stepRows) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let step = try await store.pruneIssueState(lastSeenBefore: cutoff, after: cursor, limit: Self.stepRows)
            pass.issueState += step.removed
            cursor = step.cursor
            if step.finished { break }
            await Task.yield()
        }
        return pass
    }

    /// Repeats a step until it deletes less than a full one; the total.
    private func drain(_ step: () async throws -> Int) async throws -> Int {
        var total = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let removed = try await step()
            total += removed
            if removed < Self.stepRows { break }
            await Task.yield()
        }
        return total
    }
}
