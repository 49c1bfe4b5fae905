import CCurl
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Drives the multi handle. Owned by, and only ever used on, the curl thread
/// (`LoopCore`'s thread makes it and is its only caller).
final class TransferEngine {
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
