import PostgresNIO
import Synchronization

/// One store operation on a pooled connection, answered in bounded time even when
/// the database goes away under it.
///
/// Two ways an operation can wait forever once PostgreSQL is gone: the pool holds a
/// request for a connection while it keeps trying to connect (up to a minute), and a
/// query sent on a connection the server has just closed can be left unanswered
/// (PostgresNIO writes it to the closed channel and its answer never comes). Both hold
/// a batch, and every request queued behind it, with no 503.
///
/// So the caller is answered from here, not from the operation's task:
/// ```
///   waiting ──leased──► running ──finished──► answered (its result)
///      │                   │
///      │ wait over         │ deadline: close the connection; still running a
///      ▼                   ▼ second later (the connection is closed, nothing can commit)
///   answered (no connection; the body never runs)     answered (failed)
/// ```
/// A body that has a live connection is never abandoned: a batch must not be answered
/// 503 and committed after. For the same reason the caller's cancellation does not
/// reach a running body; it ends by itself, or by the deadline.
final class ConnectionDeadline<T: Sendable>: Sendable {
    private enum State {
        case waiting
        case running(PostgresConnection)
        case answered
    }

    private let state = Mutex<State>(.waiting)
    private let continuation: CheckedContinuation<T, any Error>
    /// The operation's task, cancelled when it gives up waiting (the pool drops the request).
    private let work = Mutex<Task<Void, Never>?>(nil)

    private init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = continuation
    }

    /// Runs `body` on a connection of `client`: fails if none comes within `wait`, or if
    /// the body still runs `deadline` after its start and its connection is gone.
    static func run(
        on client: PostgresClient, wait: Duration, deadline: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let operation = ConnectionDeadline(continuation)
            // One watch per operation, cancelled when it ends: thousands of operations a
            // second leave no sleeping timers behind.
            let watch = Task {
                do { try await Task.sleep(for: wait) } catch { return }
                if operation.giveUpWaiting(after: wait) { return }
                do { try await Task.sleep(for: deadline - wait) } catch { return }
                guard let connection = operation.runningConnection else { return }
                try? await connection.close().get()
                try? await Task.sleep(for: .seconds(1))
                operation.giveUpRunning(after: deadline)
            }
            let work = Task {
                defer { watch.cancel() }
                do {
                    operation.answer(.success(try await client.withConnection { connection in
                        guard operation.lease(connection) else { throw CancellationError() }
                        return try await body(connection)
                    }))
                } catch {
                    operation.answer(.failure(error))
                }
            }
            operation.work.withLock { $0 = work }
        }
    }

    /// The operation has its connection: true if it may run (its caller still waits).
    private func lease(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .running(connection)
            return true
        }
    }

    private var runningConnection: PostgresConnection? {
        state.withLock { state in
            if case .running(let connection) = state { connection } else { nil }
        }
    }

    private func answer(_ result: Result<T, any Error>) {
        let first = state.withLock { state in
            if case .answered = state { return false }
            state = .answered
            return true
        }
        if first { continuation.resume(with: result) }
    }

    /// True if the operation was still waiting for a connection: it is answered, will not
    /// run, and its request for a connection is withdrawn.
    private func giveUpWaiting(after wait: Duration) -> Bool {
        let gaveUp = state.withLock { state in
            guard case .waiting = state else { return false }
            state = .answered
            return true
        }
        if gaveUp {
            work.withLock { $0?.cancel() }
            continuation.resume(throwing: ConnectionDeadlineExpired(description: "no connection within \(wait)"))
        }
        return gaveUp
    }

    private func giveUpRunning(after deadline: Duration) {
        let gaveUp = state.withLock { state in
            guard case .running = state else { return false }
            state = .answered
            return true
        }
        if gaveUp {
            continuation.resume(throwing: ConnectionDeadlineExpired(description: "no answer within \(deadline); the connection was closed"))
        }
    }
}

/// An operation that `ConnectionDeadline` answered itself: no connection came within
/// its wait, or its query no answer before the deadline. The store reports it as
/// unreachable (`PostgresUnreachable`).
struct ConnectionDeadlineExpired: Error, CustomStringConvertible {
    var description: String
}
