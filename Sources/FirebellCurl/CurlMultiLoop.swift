// FirebellCurl: the one place Firebell talks to libcurl.
//
// Owns a libcurl multi handle driven by one dedicated thread, and turns
// `HTTPRequest` values into `HTTPResponse`s and `Mail` values into
// `MailReceipt`s, or either into `CurlError`s. This target is the only one
// that imports CCurl, and the only place curl codes become `CurlError`s
// (libcurl's results in `CurlError+CURLcode.swift`). The target must not
// import FirebellCore, FirebellStore or any channel code: it moves bytes, it
// does not know what an alert is.
//
// Path of a request: `CurlMultiLoop` checks it and wraps it in a `Job`;
// `LoopCore` queues it under its lock and wakes the curl thread, which alone
// drives the `MultiHandle`; there `TransferEngine` turns each job into a
// `Transfer` (one easy handle) and completes it.

import CCurl
import Logging
import ServiceLifecycle

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
