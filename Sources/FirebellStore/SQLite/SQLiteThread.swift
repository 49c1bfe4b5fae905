import NIOCore
import NIOPosix

/// The one thread the SQLite connection runs on, also usable as the ingest writer's
/// task executor.
///
/// SQLiteNIO runs every statement on its thread pool and resumes the caller from
/// there. With the writer's task on the same single thread, a batch's statements
/// and the Swift code between them run back to back on it: no wake-up of another
/// thread per statement, and no wait behind request handlers on the shared
/// executor (under load that wait was most of a batch's time).
final class SQLiteThread: TaskExecutor, Sendable {
    let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { [self] _ in
            // Also after shutdown: a job that never runs would leave its task hanging.
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
