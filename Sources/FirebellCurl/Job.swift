/// What `CurlMultiLoop.perform(_:)` and `send(_:)` wait on. The result, not a
/// throwing continuation, so the error stays a typed `CurlError`.
typealias HTTPContinuation = CheckedContinuation<Result<HTTPResponse, CurlError>, Never>
typealias MailContinuation = CheckedContinuation<Result<MailReceipt, CurlError>, Never>

/// A queued request or mail and the caller waiting for it.
///
/// Made by `CurlMultiLoop`, queued by `LoopCore`, run by `TransferEngine` on
/// the curl thread; whoever ends it resumes its continuation exactly once.
enum Job: Sendable {
    case http(HTTPRequest, HTTPContinuation)
    case mail(Mail, MailContinuation)

    func fail(_ error: CurlError) {
        switch self {
        case .http(_, let continuation): continuation.resume(returning: .failure(error))
        case .mail(_, let continuation): continuation.resume(returning: .failure(error))
        }
    }
}
