/// Runs async operations on one resource strictly one after another.
///
/// SQLite has one connection here and a transaction spans several awaits, so
/// an actor alone is not enough: its methods interleave at every `await`.
/// This queue holds the turn across the awaits.
actor SerialAccess {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await operation()
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            // The turn passes straight to the next waiter; `busy` stays true.
            waiters.removeFirst().resume()
        }
    }
}
