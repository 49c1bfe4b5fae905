// FirebellCurl: the one place Firebell talks to libcurl.
//
// Owns a libcurl multi handle driven by one dedicated thread, and turns
// `HTTPRequest` values into `HTTPResponse`s or `CurlError`s. This file is the
// only one that imports CCurl; curl codes become `CurlError` here and nowhere
// else. The target must not import FirebellCore, FirebellStore or any channel
// code: it moves bytes, it does not know what an alert is.

import CCurl
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends HTTP requests through one libcurl multi handle on one thread.
///
/// Callers `await` ``perform(_:)`` from any task; the request is queued under
/// a lock and the curl thread is woken with `curl_multi_wakeup`. That thread
/// owns the `CURLM` and every easy handle while it is in the multi, so libcurl
/// never sees two threads. Transfers run concurrently, up to
/// `maxConnectionsPerHost` connections to one host (libcurl queues the rest).
///
/// In a `ServiceGroup`, ``run()`` starts the thread and stops it on graceful
/// shutdown or cancellation; CLI commands call ``start()`` and ``shutdown()``.
/// ``perform(_:)`` also starts the loop if nothing has yet, so start order in
/// a group does not matter. After shutdown every queued and in-flight request
/// fails with ``CurlError/Kind/cancelled``, and new ones fail at once.
public final class CurlMultiLoop: Service, Sendable {
    private let core: LoopCore

    public init(logger: Logger, maxConnectionsPerHost: Int = 8) {
        core = LoopCore(logger: logger, maxConnectionsPerHost: max(1, maxConnectionsPerHost))
    }

    deinit {
        // The thread holds the core, not the loop, so a loop dropped without
        // shutdown() still stops its thread here.
        core.shutdown()
    }

    /// Sends `request` and returns the response, whatever its status.
    ///
    /// Throws only when no HTTP response was received. Cancelling the calling
    /// task does not abort the transfer; it runs to completion or timeout.
    public func perform(_ request: HTTPRequest) async throws(CurlError) -> HTTPResponse {
        if let refusal = Self.validate(request) {
            throw refusal
        }
        core.start()
        let result = await withCheckedContinuation { (continuation: ResultContinuation) in
            core.enqueue(Job(request: request, continuation: continuation))
        }
        return try result.get()
    }

    /// Runs the loop until graceful shutdown or cancellation, then stops it.
    public func run() async throws {
        core.start()
        try? await gracefulShutdown()
        core.shutdown()
    }

    /// Starts the curl thread. Idempotent; does nothing after ``shutdown()``.
    public func start() {
        core.start()
    }

    /// Stops the curl thread, failing every queued and in-flight request, and
    /// waits for the thread to exit. Idempotent; a call made while another
    /// is still stopping the thread returns without waiting.
    public func shutdown() {
        core.shutdown()
    }

    // MARK: - Request checks

    /// Refuses what libcurl would send wrongly or misread: a NUL cuts a C
    /// string short, and CR/LF in a header would smuggle in more headers.
    private static func validate(_ request: HTTPRequest) -> CurlError? {
        func refuse(_ why: String) -> CurlError {
            CurlError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: why, kind: .badRequest)
        }
        let tokenExtras = Set("!#$%&'*+-.^_`|~".utf8)
        func isToken(_ s: String) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                    || (byte >= 0x61 && byte <= 0x7A) || tokenExtras.contains(byte)
            }
        }
        func hasBreak(_ s: String) -> Bool {
            s.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        }
        guard isToken(request.method) else {
            return refuse("invalid HTTP method \"\(request.method)\"")
        }
        guard !hasBreak(request.url) else {
            return refuse("URL contains CR, LF or NUL")
        }
        for header in request.headers {
            guard isToken(header.name) else {
                return refuse("invalid header name \"\(header.name)\"")
            }
            guard !hasBreak(header.value) else {
                return refuse("value of header \(header.name) contains CR, LF or NUL")
            }
        }
        guard !request.timeout.isNaN, request.timeout > 0 else {
            return refuse("timeout must be a positive number of seconds")
        }
        return nil
    }
}

// MARK: - Shared state

private typealias ResultContinuation = CheckedContinuation<Result<HTTPResponse, CurlError>, Never>

/// A queued request and the caller waiting for it.
private struct Job: Sendable {
    let request: HTTPRequest
    let continuation: ResultContinuation
}

private enum Phase {
    case idle
    case running(MultiHandle, JoinableThread)
    case stopping
    case stopped
}

private struct LoopState {
    var phase: Phase = .idle
    var queue: [Job] = []
}

/// The lock-protected queue and lifecycle, shared by callers and the curl
/// thread. Separate from `CurlMultiLoop` so the thread does not keep the loop
/// alive.
private final class LoopCore: Sendable {
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
            job.continuation.resume(returning: .failure(.shutDown))
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

/// The `CURLM` pointer, so it can live in the lock-protected state and be
/// handed to the curl thread.
///
/// `@unchecked Sendable` is safe because `start()` creates and configures the
/// handle under the state lock before the curl thread exists, and from then
/// on only that thread uses it, with one exception: `curl_multi_wakeup`,
/// which libcurl documents as callable from any thread, and which is only
/// called under the lock while the phase is `.running`. The curl thread frees
/// the handle only after the phase left `.running`, so no wakeup can reach a
/// freed handle.
private struct MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// `curl_global_init` must run once before any other curl call; a global's
/// lazy initializer runs exactly once, thread-safely.
private let curlGlobalInit: Void = {
    _ = curl_global_init(fb_global_default)
}()

// MARK: - Transfers (curl thread only)

/// Everything one easy handle needs while in flight. Lives on the curl thread
/// only; libcurl's callbacks reach it through `Unmanaged` user-data pointers.
private final class Transfer {
    let job: Job
    let easy: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var isBodyTruncated = false
    var headers: [(name: String, value: String)] = []
    var headerBytes = 0

    /// Header bytes kept per response; like the body cap, a bound on what a
    /// hostile receiver can make us hold.
    static let maxHeaderBytes = 64 * 1024

    init(job: Job, easy: UnsafeMutableRawPointer) {
        self.job = job
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    /// Frees the handle and what it pointed at. Call after the handle left
    /// the multi.
    func close() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer.deallocate()
    }

    func appendBody(_ bytes: UnsafeRawBufferPointer) {
        let room = HTTPResponse.maxBodyBytes - body.count
        if bytes.count > room {
            isBodyTruncated = true
        }
        if room > 0 {
            body.append(contentsOf: bytes.prefix(room))
        }
    }

    /// Takes one header line as libcurl delivers it, CRLF included.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = Substring(String(decoding: bytes, as: UTF8.self))
        while let last = line.last, last == "\r" || last == "\n" || last == "\r\n" {
            line = line.dropLast()
        }
        if line.hasPrefix("HTTP/") {
            // A new status line: an interim 1xx ended, or a new response
            // starts. Only the final response's headers count.
            headers = []
            headerBytes = 0
            return
        }
        guard !line.isEmpty, headerBytes + bytes.count <= Self.maxHeaderBytes else { return }
        headerBytes += bytes.count
        if line.first == " " || line.first == "\t" {
            // Obsolete line folding: continues the previous header's value.
            if !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingBlanks()
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingBlanks()
        let value = line[line.index(after: colon)...].trimmingBlanks()
        headers.append((name: name, value: value))
    }

    func response() -> HTTPResponse {
        var status = 0
        _ = fb_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: headers, body: body, isBodyTruncated: isBodyTruncated)
    }

    func error(_ code: CURLcode) -> CurlError {
        CurlError(code, detail: String(cString: errorBuffer))
    }
}

extension Substring {
    fileprivate func trimmingBlanks() -> String {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Drives the multi handle. Owned by, and only ever used on, the curl thread.
private final class TransferEngine {
    private let multi: UnsafeMutableRawPointer
    private let logger: Logger
    private var inFlight: [ObjectIdentifier: Transfer] = [:]

    init(multi: UnsafeMutableRawPointer, logger: Logger) {
        self.multi = multi
        self.logger = logger
    }

    /// Builds an easy handle for `job` and adds it to the multi, or fails
    /// the job at once.
    func add(_ job: Job) {
        guard let easy = curl_easy_init() else {
            finish(job, .failure(CurlError(CURLE_OUT_OF_MEMORY, detail: "curl_easy_init failed")))
            return
        }
        let transfer = Transfer(job: job, easy: easy)
        var code = configure(transfer)
        if code == CURLE_OK {
            let added = curl_multi_add_handle(multi, easy)
            if added != CURLM_OK {
                code = CURLE_FAILED_INIT
                logger.warning("curl_multi_add_handle failed", metadata: ["curl.multi_code": "\(added.rawValue)"])
            }
        }
        guard code == CURLE_OK else {
            let error = transfer.error(code)
            transfer.close()
            finish(job, .failure(error))
            return
        }
        inFlight[ObjectIdentifier(transfer)] = transfer
    }

    /// Lets libcurl make progress, then completes every finished transfer.
    func performAndCollect() {
        var running: Int32 = 0
        let performed = curl_multi_perform(multi, &running)
        if performed != CURLM_OK {
            logger.warning("curl_multi_perform failed", metadata: ["curl.multi_code": "\(performed.rawValue)"])
        }
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            // The message is only valid until the next call into the multi:
            // copy what is needed first.
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var privateData: UnsafeMutablePointer<CChar>?
            _ = fb_easy_getinfo_string(easy, CURLINFO_PRIVATE, &privateData)
            guard let privateData else { continue }
            let transfer = Unmanaged<Transfer>.fromOpaque(UnsafeRawPointer(privateData)).takeUnretainedValue()
            let result: Result<HTTPResponse, CurlError> =
                code == CURLE_OK ? .success(transfer.response()) : .failure(transfer.error(code))
            curl_multi_remove_handle(multi, easy)
            inFlight[ObjectIdentifier(transfer)] = nil
            transfer.close()
            finish(transfer.job, result)
        }
    }

    /// Waits for socket activity, libcurl's next timeout, a wakeup, or
    /// `timeoutMilliseconds`, whichever is first.
    func poll(timeoutMilliseconds: Int32) {
        let polled = curl_multi_poll(multi, nil, 0, timeoutMilliseconds, nil)
        if polled != CURLM_OK {
            logger.warning("curl_multi_poll failed", metadata: ["curl.multi_code": "\(polled.rawValue)"])
            usleep(10_000)  // do not spin if the failure persists
        }
    }

    /// Fails every in-flight transfer and every job not yet added.
    func failAll(queued: [Job], with error: CurlError) {
        for transfer in inFlight.values {
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.close()
            finish(transfer.job, .failure(error))
        }
        inFlight = [:]
        for job in queued {
            finish(job, .failure(error))
        }
    }

    private func finish(_ job: Job, _ result: Result<HTTPResponse, CurlError>) {
        if case .failure(let error) = result {
            logger.debug(
                "curl transfer failed",
                metadata: ["curl.code": "\(error.code)", "curl.kind": "\(error.kind)", "http.method": "\(job.request.method)"]
            )
        }
        job.continuation.resume(returning: result)
    }

    /// Sets every option for one transfer; returns the first failure.
    private func configure(_ transfer: Transfer) -> CURLcode {
        let easy = transfer.easy
        let request = transfer.job.request
        var first = CURLE_OK
        func check(_ code: CURLcode) {
            if first == CURLE_OK { first = code }
        }
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        check(fb_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer))
        check(fb_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        check(fb_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(fb_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(fb_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        check(fb_easy_setopt_string(easy, CURLOPT_USERAGENT, "firebell/0.1"))
        check(fb_easy_setopt_string(easy, CURLOPT_URL, request.url))

        // Clamp so a huge or infinite timeout cannot trap converting to Int.
        let timeoutMs = Int(min(request.timeout * 1000, 86_400_000).rounded(.up))
        check(fb_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, timeoutMs)))
        check(fb_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(timeoutMs, 5000))))

        check(fb_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let total = size * count
            if let data, let context {
                Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                    .appendBody(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total  // always all of it: past the cap, bytes are discarded, not refused
        })
        check(fb_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check(fb_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let total = size * count
            if let data, let context {
                Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                    .appendHeaderLine(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total
        })
        check(fb_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))

        let sendsBody = !request.body.isEmpty || (request.method != "GET" && request.method != "HEAD")
        if !sendsBody {
            if request.method == "HEAD" {
                check(fb_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
            } else {
                check(fb_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            }
        } else {
            // The size goes first so COPYPOSTFIELDS copies exactly that many
            // bytes (the body may contain NULs).
            check(fb_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            let bytes: [UInt8] = request.body.isEmpty ? [0] : request.body
            bytes.withUnsafeBytes { buffer in
                check(fb_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress)))
            }
            if request.method != "POST" {
                check(fb_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method))
            }
        }

        var lines = request.headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        // An empty value removes a header libcurl would add: no 100-continue
        // round trip, and no made-up form Content-Type on a body whose type
        // the caller did not state.
        lines.append("Expect:")
        if sendsBody && !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type:")
        }
        for line in lines {
            guard let appended = curl_slist_append(transfer.headerList, line) else {
                check(CURLE_OUT_OF_MEMORY)
                break
            }
            transfer.headerList = appended
        }
        check(fb_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, transfer.headerList))
        return first
    }
}

// MARK: - Thread

/// A joinable POSIX thread running one closure.
///
/// `@unchecked Sendable` is safe because the handle is only passed to
/// `pthread_join`, exactly once, by the one `shutdown()` call that moved the
/// loop out of `.running`.
private struct JoinableThread: @unchecked Sendable {
    private let handle: pthread_t

    /// Holds the closure across `pthread_create`'s untyped argument.
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    init?(body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0, let handle else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #else
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #endif
        self.handle = handle
    }

    func join() {
        pthread_join(handle, nil)
    }
}

// MARK: - curl codes → CurlError

extension CurlError {
    /// The one place a `CURLcode` becomes a `CurlError`.
    fileprivate init(_ code: CURLcode, detail: String) {
        var message = String(cString: curl_easy_strerror(code))
        if !detail.isEmpty && detail != message {
            message += ": " + detail
        }
        self.init(code: Int(code.rawValue), message: message, kind: Self.kind(of: code))
    }

    fileprivate static let shutDown = CurlError(
        code: Int(CURLE_ABORTED_BY_CALLBACK.rawValue),
        message: "the curl loop shut down before the request completed",
        kind: .cancelled
    )

    private static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .resolve
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_SEND_ERROR, CURLE_SEND_FAIL_REWIND:
            return .send
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_HTTP3:
            return .receive
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN,
            CURLE_BAD_FUNCTION_ARGUMENT, CURLE_UNKNOWN_OPTION, CURLE_LOGIN_DENIED:
            return .badRequest
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        default:
            return .other
        }
    }
}
