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
/// transaction (group commit), so one fsync serves many requests, and answers each
/// request only after the commit that holds its events.
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
    private let processor: Mutex<IssueProcessor>
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let maxBatchEvents: Int
    private let maxQueuedEvents: Int
    private let onCommit: @Sendable ([IngestOutcome]) -> Void
    private let logger: Logger

    /// - Parameter onCommit: called after each commit with its outcomes (the outbox worker wakes on it).
    public init(
        store: any Store, processor: IssueProcessor, maxBatchEvents: Int = 1024, maxQueuedEvents: Int = 50_000,
        logger: Logger, onCommit: @escaping @Sendable ([IngestOutcome]) -> Void = { _ in }
    ) {
        self.store = store
        self.processor = Mutex(processor)
        self.maxBatchEvents = maxBatchEvents
        self.maxQueuedEvents = maxQueuedEvents
        self.logger = logger
        self.onCommit = onCommit
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Replaces the rules the writer decides with (config reload); later batches use them.
    public func update(processor: IssueProcessor) {
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

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
            }
            // Shutting down: nothing new is accepted, everything queued is still written.
            await drain()
        } onGracefulShutdown: {
            self.state.withLock { $0.stopped = true }
            self.wake.finish()
        }
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
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
            await write(batch)
        }
    }

    private func write(_ batch: [Job]) async {
        let items = batch.flatMap(\.items)
        let processor = self.processor.withLock { $0 }
        do {
            let outcomes = try await store.ingest(items, processor: processor)
            var offset = 0
            for job in batch {
                job.continuation.resume(returning: Array(outcomes[offset..<offset + job.items.count]))
                offset += job.items.count
            }
            onCommit(outcomes)
        } catch {
            logger.error("ingest batch failed; nothing of it was stored", metadata: [
                "ingest.events": "\(items.count)", "error": "\(error)",
            ])
            for job in batch { job.continuation.resume(throwing: error) }
        }
    }
}
