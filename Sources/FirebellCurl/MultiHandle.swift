/// The `CURLM` pointer, so it can live in the lock-protected state and be
/// handed to the curl thread.
///
/// `@unchecked Sendable` is safe because `LoopCore.start()` creates and
/// configures the handle under the state lock before the curl thread exists,
/// and from then
/// on only that thread uses it, with one exception: `curl_multi_wakeup`,
/// which libcurl documents as callable from any thread, and which is only
/// called under the lock while the phase is `.running`. The curl thread frees
/// the handle only after the phase left `.running`, so no wakeup can reach a
/// freed handle.
///
/// Internal, not private, only because `LoopCore` lives in its own file; the
/// argument above holds only while `LoopCore` is the one place that makes,
/// wakes and frees a `MultiHandle`.
struct MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
