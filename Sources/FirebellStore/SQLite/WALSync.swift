#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import Synchronization

/// Makes committed transactions durable with one `fdatasync` of the WAL file per
/// round, on its own thread, while the connection goes on writing.
///
/// The store commits with `synchronous = NORMAL`: a commit's WAL frames are
/// written to the file (they survive a crash of the process) but not synced (a
/// power cut may lose them). `sync()` returns once everything committed before the
/// call is on stable storage. Waiters that arrive while a sync runs share the next
/// one, so one fsync serves every batch committed meanwhile — group commit with the
/// fsync taken out of the writer's path: the next batch is written while the
/// previous one is being synced.
///
/// SQLite stays consistent in this mode (WAL frames carry checksums and recovery
/// stops at the last complete commit), and its checkpoints sync the WAL before
/// copying it back and the database after.
final class WALSync: Sendable {
    private struct State {
        var running = false
        /// Waiting for the sync that runs now: their commits happened before it started.
        var current: [CheckedContinuation<Void, any Error>] = []
        /// Arrived while a sync ran; their commits may be after its start, so they wait for the next.
        var next: [CheckedContinuation<Void, any Error>] = []
    }

    private let descriptor: Int32
    private let path: String
    private let thread: NIOThreadPool
    private let state = Mutex(State())

    /// Opens the WAL at `walPath` (it exists once the database is in WAL mode and written
    /// to) and syncs its directory once, so the file itself survives a power cut.
    init(walPath: String) throws {
        let descriptor = open(walPath, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError("cannot open the SQLite WAL file \(walPath) to sync it: \(String(cString: strerror(errno)))")
        }
        let directoryPath = walPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let directory = open(directoryPath.isEmpty ? "." : directoryPath, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            closeFile(directory)
        }
        self.descriptor = descriptor
        self.path = walPath
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    /// Returns once every transaction committed before this call is on stable storage.
    func sync() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { state -> Bool in
                if state.running {
                    state.next.append(continuation)
                    return false
                }
                state.running = true
                state.current = [continuation]
                return true
            }
            if start { round() }
        }
    }

    /// One fsync for everyone in `current`; then the next round if anyone arrived meanwhile.
    private func round() {
        thread.submit { [self] work in
            let result: Result<Void, any Error> =
                if case .cancelled = work {
                    .failure(StoreError("the store is closing; \(path) was not synced"))
                } else if fdatasync(descriptor) == 0 {
                    .success(())
                } else {
                    .failure(StoreError("fdatasync of \(path) failed: \(String(cString: strerror(errno)))"))
                }
            let (done, again) = state.withLock { state in
                let done = state.current
                state.current = state.next
                state.next = []
                state.running = !state.current.isEmpty
                return (done, state.running)
            }
            for waiter in done { waiter.resume(with: result) }
            if again { round() }
        }
    }

    /// Stops the sync thread and closes the file; callers must not call `sync()` afterwards.
    func close() async throws {
        try await thread.shutdownGracefully()
        closeFile(descriptor)
    }
}

private func closeFile(_ descriptor: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(descriptor)
    #else
    _ = Darwin.close(descriptor)
    #endif
}
