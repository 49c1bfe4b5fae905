import CCurl

// curl codes → CurlError: the only file that does it. Internal because the
// transfers and the loop that raise these errors live in their own files.

extension CurlError {
    /// The one place a `CURLcode` becomes a `CurlError`.
    init(_ code: CURLcode, detail: String) {
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
    init(mail code: CURLcode, detail: String, reply: Int, replyText: String?) {
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

    /// What every queued and in-flight job fails with once the loop stops.
    static let shutDown = CurlError(
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
