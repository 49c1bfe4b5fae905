import CCurl
import Logging
import Synchronization

/// The lock-protected queue and lifecycle, shared by callers and the curl
/// thread. Separate from `CurlMultiLoop` so the thread does not keep the loop
/// alive.
///
/// Internal only so `CurlMultiLoop` can hold it: nothing else should make
/// one, since each owns a `CURLM` and a thread.
final class LoopCore: Sendable {
    private let logger: Logger
    private let maxConnectionsPerHost: Int
    private let state = Mutex(LoopState())

    init(logger: Logger, maxConnectionsPerHost: Int) {
        self.logger = logger
        self.maxConnectionsPerHost = maxConnectionsPerHost
    }

    func enqueue(_ job: Job) {
        let accepted = state.withLock { state -> Bool in
            guard case .running(let multi, _) = state.phase else { return false }
            state.queue.append(job)
            // Thread-safe by libcurl's contract, and the multi handle is
            // alive: the curl thread frees it only after leaving `.running`.
            curl_multi_wakeup(multi.pointer)
            return true
        }
        if !accepted {
            job.fail(.shutDown)
        }
    }

    func start() {
        _ = curlGlobalInit
        state.withLock { state in
            guard case .idle = state.phase else { return }
            guard let pointer = curl_multi_init() else {
                logger.error("curl_multi_init failed; HTTP delivery is unavailable")
                state.phase = .stopped
                return
            }
            let multi = MultiHandle(pointer: pointer)
            _ = fb_multi_setopt_long(pointer, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
            guard let thread = JoinableThread(body: { [self] in self.threadMain(multi) }) else {
                logger.error("could not start the curl thread; HTTP delivery is unavailable")
                curl_multi_cleanup(pointer)
                state.phase = .stopped
                return
            }
            state.phase = .running(multi, thread)
            logger.debug("curl loop started", metadata: ["curl.max_host_connections": "\(maxConnectionsPerHost)"])
        }
    }

    func shutdown() {
        let thread = state.withLock { state -> JoinableThread? in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return nil
            case .running(let multi, let thread):
                state.phase = .stopping
                curl_multi_wakeup(multi.pointer)
                return thread
            case .stopping, .stopped:
                return nil
            }
        }
        guard let thread else { return }
        thread.join()
        state.withLock { $0.phase = .stopped }
        logger.debug("curl loop stopped")
    }

    private func threadMain(_ multi: MultiHandle) {
        let engine = TransferEngine(multi: multi.pointer, logger: logger)
        while true {
            let (jobs, stopping) = state.withLock { state -> ([Job], Bool) in
                let jobs = state.queue
                state.queue = []
                if case .running = state.phase { return (jobs, false) }
                return (jobs, true)
            }
            if stopping {
                engine.failAll(queued: jobs, with: .shutDown)
                break
            }
            for job in jobs {
                engine.add(job)
            }
            engine.performAndCollect()
            engine.poll(timeoutMilliseconds: 1000)
        }
        // Nobody else touches the multi handle once the phase left `.running`.
        curl_multi_cleanup(multi.pointer)
    }
}

/// Where the loop is in its one-way life: idle → running → stopping →
/// stopped (idle → stopped when it never ran).
private enum Phase {
    case idle
    case running(MultiHandle, JoinableThread)
    case stopping
    case stopped
}

/// What the lock protects: the phase and the jobs not yet handed to the
/// curl thread.
private struct LoopState {
    var phase: Phase = .idle
    var queue: [Job] = []
}

/// `curl_global_init` must run once before any other curl call; a global's
/// lazy initializer runs exactly once, thread-safely.
private let curlGlobalInit: Void = {
    _ = curl_global_init(fb_global_default)
}()
