import FirebellCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Why the writer did not take a batch.
public enum IngestWriterError: Error, Sendable, Equatable {
    /// More events are waiting than `maxQueuedEvents`; the client should retry later (429).
    case queueFull
    /// The daemon is shutting down.
    case stopped
}

/// The single writer: it gathers the batches of concurrent requests into one
/// transaction (group commit), and answers each request only once the commit that
/// holds its events is on stable storage (`Store.sync()`). The sync runs beside the
/// writer: while batch N is being synced, batch N+1 is already being written, and
/// one sync serves every batch committed meanwhile.
public final class IngestWriter: Service, Sendable {
    private struct Job {
        var items: [IngestItem]
        var continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    private struct State {
        var jobs: [Job] = []
        var queuedEvents = 0
        var stopped = false
    }

    private let store: any Store
    private let processor: Mutex<BatchProcessor>
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let maxBatchEvents: Int
    private let maxQueuedEvents: Int
    private let outboxClaim: @Sendable () -> OutboxClaim?
    private let onCommit: @Sendable (IngestResult) -> Void
    private let logger: Logger

    /// - Parameters:
    ///   - outboxClaim: how a batch claims its due outbox rows on the deliverer's behalf
    ///     (nil: it does not), asked per batch.
    ///   - onCommit: called after each commit with what it did (the deliverer takes the
    ///     claimed rows), before the sync: an alert does not wait for the fsync.
    public init(
        store: any Store, processor: BatchProcessor, maxBatchEvents: Int = 1024, maxQueuedEvents: Int = 50_000,
        logger: Logger, outboxClaim: @escaping @Sendable () -> OutboxClaim? = { nil },
        onCommit: @escaping @Sendable (IngestResult) -> Void = { _ in }
    ) {
        self.store = store
        self.processor = Mutex(processor)
        self.maxBatchEvents = maxBatchEvents
        self.maxQueuedEvents = maxQueuedEvents
        self.logger = logger
        self.outboxClaim = outboxClaim
        self.onCommit = onCommit
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Replaces the rules the writer decides with (config reload); later batches use them.
    public func update(processor: BatchProcessor) {
        self.processor.withLock { $0 = processor }
    }

    /// Queues `items` for the next commit and returns their outcomes once it is durable.
    public func submit(_ items: [IngestItem]) async throws -> [IngestOutcome] {
        if items.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal: IngestWriterError? = state.withLock { state in
                if state.stopped { return .stopped }
                if state.queuedEvents + items.count > maxQueuedEvents { return .queueFull }
                state.jobs.append(Job(items: items, continuation: continuation))
                state.queuedEvents += items.count
                return nil
            }
            if let refusal {
                continuation.resume(throwing: refusal)
            } else {
                wake.yield()
            }
        }
    }

    /// Writes until shutdown, on the store's writer executor if it has one (for SQLite,
    /// the connection's own thread), so a batch's statements run back to back.
    public func run() async throws {
        await withTaskExecutorPreference(store.writerExecutor) {
            await writeUntilShutdown()
        }
    }

    private func writeUntilShutdown() async {
        // Answers wait for their batch's sync in this group, while the loop writes the next batch.
        await withDiscardingTaskGroup { answers in
            await withGracefulShutdownHandler {
                for await _ in wakeups {
                    await drain(answers: &answers)
                }
                // Shutting down: nothing new is accepted, everything queued is still written.
                await drain(answers: &answers)
            } onGracefulShutdown: {
                self.state.withLock { $0.stopped = true }
                self.wake.finish()
            }
        }
    }

    /// Writes batches until the queue is empty.
    private func drain(answers: inout DiscardingTaskGroup) async {
        while true {
            let batch: [Job] = state.withLock { state in
                var taken: [Job] = []
                var events = 0
                while let next = state.jobs.first, taken.isEmpty || events + next.items.count <= maxBatchEvents {
                    taken.append(state.jobs.removeFirst())
                    events += next.items.count
                }
                state.queuedEvents -= events
                return taken
            }
            if batch.isEmpty { return }
            guard let outcomes = await write(batch) else { continue }
            // Not on the writer's executor: answering is the request handlers' business.
            answers.addTask(executorPreference: globalConcurrentExecutor) { await self.answer(batch, outcomes) }
        }
    }

    /// Commits the batch and tells `onCommit` (alerts may go out from here on); nil when it failed.
    private func write(_ batch: [Job]) async -> [IngestOutcome]? {
        let items = batch.flatMap(\.items)
        let processor = self.processor.withLock { $0 }
        do {
            let result = try await store.ingest(items, processor: processor, claim: outboxClaim())
            onCommit(result)
            return result.outcomes
        } catch {
            // Debug: every batch fails alike while the store is down; the ingest stage
            // logs once per change of the store's state.
            logger.debug("ingest batch failed; nothing of it was stored", metadata: [
                "ingest.events": "\(items.count)", "error": "\(error)",
            ])
            for job in batch { job.continuation.resume(throwing: error) }
            return nil
        }
    }

    /// Answers the batch's requests once its commit is on stable storage.
    private func answer(_ batch: [Job], _ outcomes: [IngestOutcome]) async {
        do {
            try await store.sync()
        } catch {
            // Committed but maybe not durable: the clients retry, and event ids make retries duplicates.
            logger.error("ingest batch committed but not synced to disk", metadata: [
                "ingest.events": "\(outcomes.count)", "error": "\(error)",
            ])
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        var offset = 0
        for job in batch {
            job.continuation.resume(returning: Array(outcomes[offset..<offset + job.items.count]))
            offset += job.items.count
        }
    }
}
