import CCurl

/// Everything one easy handle needs while in flight. Lives on the curl thread
/// only; libcurl's callbacks reach it through `Unmanaged` user-data pointers.
/// `TransferEngine` makes, tracks and closes every one.
final class Transfer {
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
