// FirebellCurl: the one place Firebell talks to libcurl.
//
// Owns a libcurl multi handle driven by one dedicated thread, and turns
// `HTTPRequest` values into `HTTPResponse`s and `Mail` values into
// `MailReceipt`s, or either into `CurlError`s. This file is the
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

/// Sends HTTP requests, and mail over SMTP, through one libcurl multi handle
/// on one thread.
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
        let result = await withCheckedContinuation { (continuation: HTTPContinuation) in
            core.enqueue(.http(request, continuation))
        }
        return try result.get()
    }

    /// Submits `mail` over SMTP and returns the server's acceptance.
    ///
    /// Throws when the mail was not accepted: connection and TLS failures as
    /// for HTTP; a server that does not offer STARTTLS while ``Mail/starttls``
    /// requires it as ``CurlError/Kind/tls``; refused credentials as
    /// ``CurlError/Kind/authentication``; a permanent (5xx) SMTP reply as
    /// ``CurlError/Kind/rejected`` (none of these is retryable); a transient
    /// (4xx) reply with a retryable kind. The message names the server's
    /// reply. Cancelling the calling task does not abort the transfer.
    public func send(_ mail: Mail) async throws(CurlError) -> MailReceipt {
        if let refusal = Self.validate(mail) {
            throw refusal
        }
        core.start()
        let result = await withCheckedContinuation { (continuation: MailContinuation) in
            core.enqueue(.mail(mail, continuation))
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

    /// Refuses a mail libcurl would send wrongly: a scheme other than
    /// smtp/smtps, or a line break, NUL or angle bracket in an envelope
    /// address or the login (it would end or forge an SMTP command).
    private static func validate(_ mail: Mail) -> CurlError? {
        func refuse(_ why: String) -> CurlError {
            CurlError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: why, kind: .badRequest)
        }
        func hasBreak(_ s: String) -> Bool {
            s.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        }
        func isBareAddress(_ s: String) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
        }
        let scheme = mail.url.prefix { $0 != ":" }.lowercased()
        guard scheme == "smtp" || scheme == "smtps", mail.url.dropFirst(scheme.count).hasPrefix("://") else {
            return refuse("mail URL must start with smtp:// or smtps://")
        }
        guard !hasBreak(mail.url) else {
            return refuse("URL contains CR, LF or NUL")
        }
        guard isBareAddress(mail.from) else {
            return refuse("invalid envelope sender \"\(mail.from)\"")
        }
        guard !mail.recipients.isEmpty else {
            return refuse("a mail needs at least one recipient")
        }
        for recipient in mail.recipients where !isBareAddress(recipient) {
            return refuse("invalid envelope recipient \"\(recipient)\"")
        }
        guard !hasBreak(mail.username ?? ""), !hasBreak(mail.password ?? "") else {
            return refuse("username or password contains CR, LF or NUL")
        }
        guard !mail.message.isEmpty else {
            return refuse("the message is empty")
        }
        guard !mail.timeout.isNaN, mail.timeout > 0 else {
            return refuse("timeout must be a positive number of seconds")
        }
        return nil
    }
}

// MARK: - Shared state

private typealias HTTPContinuation = CheckedContinuation<Result<HTTPResponse, CurlError>, Never>
private typealias MailContinuation = CheckedContinuation<Result<MailReceipt, CurlError>, Never>

/// A queued request or mail and the caller waiting for it.
private enum Job: Sendable {
    case http(HTTPRequest, HTTPContinuation)
    case mail(Mail, MailContinuation)

    func fail(_ error: CurlError) {
        switch self {
        case .http(_, let continuation): continuation.resume(returning: .failure(error))
        case .mail(_, let continuation): continuation.resume(returning: .failure(error))
        }
    }
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
    /// CURLOPT_HTTPHEADER for HTTP, CURLOPT_MAIL_RCPT for mail.
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// Mail: the message and how much of it libcurl has read.
    var upload: [UInt8] = []
    var uploadOffset = 0
    /// Mail: the server's last reply lines, as libcurl passes them to the
    /// header callback.
    var replyLines: [String] = []
    /// Mail: the last 4xx or 5xx reply line, which names what went wrong
    /// (the last reply of all is often just the `221` to curl's QUIT).
    var failureReply: String?
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

    /// Copies the next bytes of the mail into libcurl's buffer; 0 at the end.
    func readUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<(uploadOffset + count)]))
        }
        uploadOffset += count
        return count
    }

    /// Takes one SMTP reply line. A reply whose code differs from the
    /// previous line's starts a new reply, so what is kept is the last reply
    /// before the `221` that answers libcurl's closing QUIT.
    func appendReplyLine(_ bytes: UnsafeRawBufferPointer) {
        var line = String(decoding: bytes.prefix(512), as: UTF8.self)
        while let last = line.last, last == "\r" || last == "\n" || last == "\r\n" {
            line.removeLast()
        }
        guard !line.isEmpty, !line.hasPrefix("221") else { return }
        if line.first == "4" || line.first == "5" {
            failureReply = line
        }
        if let previous = replyLines.last, previous.prefix(3) != line.prefix(3) {
            replyLines = []
        }
        if replyLines.count < 8 {
            replyLines.append(line)
        }
    }

    var responseCode: Int {
        var code = 0
        _ = fb_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    func response() -> HTTPResponse {
        HTTPResponse(status: responseCode, headers: headers, body: body, isBodyTruncated: isBodyTruncated)
    }

    func receipt() -> MailReceipt {
        MailReceipt(responseCode: responseCode, reply: replyLines.joined(separator: "\n"))
    }

    func error(_ code: CURLcode) -> CurlError {
        switch job {
        case .http:
            return CurlError(code, detail: String(cString: errorBuffer))
        case .mail:
            return CurlError(mail: code, detail: String(cString: errorBuffer), reply: responseCode, replyText: failureReply)
        }
    }

    /// Hands the outcome of a finished transfer to its caller.
    func complete(_ code: CURLcode) {
        switch job {
        case .http(_, let continuation):
            continuation.resume(returning: code == CURLE_OK ? .success(response()) : .failure(error(code)))
        case .mail(_, let continuation):
            continuation.resume(returning: code == CURLE_OK ? .success(receipt()) : .failure(error(code)))
        }
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
            fail(job, CurlError(CURLE_OUT_OF_MEMORY, detail: "curl_easy_init failed"))
            return
        }
        let transfer = Transfer(job: job, easy: easy)
        var code: CURLcode
        switch job {
        case .http(let request, _): code = configure(transfer, for: request)
        case .mail(let mail, _): code = configure(transfer, for: mail)
        }
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
            fail(job, error)
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
            if code != CURLE_OK {
                log(transfer.job, transfer.error(code))
            }
            // Reads what it needs from the handle, so before close().
            transfer.complete(code)
            curl_multi_remove_handle(multi, easy)
            inFlight[ObjectIdentifier(transfer)] = nil
            transfer.close()
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
            fail(transfer.job, error)
        }
        inFlight = [:]
        for job in queued {
            fail(job, error)
        }
    }

    private func fail(_ job: Job, _ error: CurlError) {
        log(job, error)
        job.fail(error)
    }

    private func log(_ job: Job, _ error: CurlError) {
        var metadata: Logger.Metadata = ["curl.code": "\(error.code)", "curl.kind": "\(error.kind)"]
        switch job {
        case .http(let request, _): metadata["http.method"] = "\(request.method)"
        case .mail(let mail, _): metadata["mail.recipients"] = "\(mail.recipients.count)"
        }
        logger.debug("curl transfer failed", metadata: metadata)
    }

    /// Sets every option for one HTTP transfer; returns the first failure.
    private func configure(_ transfer: Transfer, for request: HTTPRequest) -> CURLcode {
        let easy = transfer.easy
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

    /// Sets every option for one SMTP submission; returns the first failure.
    ///
    /// libcurl speaks the dialogue (EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO,
    /// DATA) and, per its SMTP implementation, dot-stuffs the uploaded data
    /// (a line starting with "." is sent as "..", RFC 5321 §4.5.2) and ends
    /// it with CRLF.CRLF itself; it does not convert line endings unless
    /// CURLOPT_CRLF is set, which Firebell leaves off because the message is
    /// built with CRLF already. See libcurl's CURLOPT_MAIL_FROM,
    /// CURLOPT_MAIL_RCPT, CURLOPT_USE_SSL and CURLOPT_READFUNCTION manuals
    /// and its SMTP test 901 ("SMTP with CRLF-dot-CRLF in data").
    private func configure(_ transfer: Transfer, for mail: Mail) -> CURLcode {
        let easy = transfer.easy
        var first = CURLE_OK
        func check(_ code: CURLcode) {
            if first == CURLE_OK { first = code }
        }
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        transfer.upload = mail.message

        check(fb_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorBuffer))
        check(fb_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        check(fb_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(fb_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        check(fb_easy_setopt_string(easy, CURLOPT_URL, mail.url))
        // One connection per mail: libcurl's connection cache does not tell a
        // plain relay connection from one a STARTTLS-requiring mail would
        // need, and alerts are too rare for reuse to matter.
        check(fb_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1))

        // smtp:// starts in clear text: require the STARTTLS upgrade unless
        // the caller chose a plain local relay. smtps:// is TLS from the
        // start (CURLUSESSL_ALL changes nothing there).
        let isImplicitTLS = mail.url.lowercased().hasPrefix("smtps:")
        check(fb_easy_setopt_long(easy, CURLOPT_USE_SSL, mail.starttls || isImplicitTLS ? fb_usessl_all : fb_usessl_none))
        if let username = mail.username, !username.isEmpty {
            check(fb_easy_setopt_string(easy, CURLOPT_USERNAME, username))
            check(fb_easy_setopt_string(easy, CURLOPT_PASSWORD, mail.password ?? ""))
        }

        let timeoutMs = Int(min(mail.timeout * 1000, 86_400_000).rounded(.up))
        check(fb_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, timeoutMs)))
        check(fb_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(timeoutMs, 5000))))

        check(fb_easy_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(mail.from)>"))
        for recipient in mail.recipients {
            guard let appended = curl_slist_append(transfer.headerList, "<\(recipient)>") else {
                check(CURLE_OUT_OF_MEMORY)
                break
            }
            transfer.headerList = appended
        }
        check(fb_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, transfer.headerList))

        check(fb_easy_setopt_long(easy, CURLOPT_UPLOAD, 1))
        check(fb_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(mail.message.count)))
        check(fb_easy_setopt_read_callback(easy, CURLOPT_READFUNCTION) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                .readUpload(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        })
        check(fb_easy_setopt_pointer(easy, CURLOPT_READDATA, context))

        // Server replies arrive as "headers"; nothing should ever be written
        // as a body, but never let libcurl default to stdout.
        check(fb_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let total = size * count
            if let data, let context {
                Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                    .appendReplyLine(UnsafeRawBufferPointer(start: data, count: total))
            }
            return total
        })
        check(fb_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        check(fb_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count })
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

    /// The one place a failed SMTP submission becomes a `CurlError`: the
    /// server's reply code decides retrying where libcurl's code alone
    /// cannot (libcurl reports a refused MAIL FROM, RCPT TO or DATA as
    /// CURLE_SEND_ERROR, whether the reply was 4xx or 5xx).
    fileprivate init(mail code: CURLcode, detail: String, reply: Int, replyText: String?) {
        var base = CurlError(code, detail: detail)
        if let replyText, !replyText.isEmpty, !base.message.contains(replyText) {
            base.message += " (server said: \(replyText))"
        }
        switch code {
        case CURLE_USE_SSL_FAILED:
            // libcurl's own text is "STARTTLS not supported." (not offered
            // in EHLO) or "STARTTLS denied" (offered, then refused).
            base.message = "server does not offer STARTTLS; set starttls: false only for a trusted local relay (\(base.message))"
            base.kind = .tls
        case CURLE_LOGIN_DENIED:
            // 454 is "temporary authentication failure" (RFC 4954).
            base.kind = (400..<500).contains(reply) ? .other : .authentication
        default:
            if (500..<600).contains(reply) {
                base.kind = .rejected
            } else if (400..<500).contains(reply), !base.isRetryable {
                base.kind = .other
            }
        }
        if (400..<600).contains(reply), !base.message.contains("\(reply)") {
            base.message = "SMTP \(reply): " + base.message
        }
        self = base
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
