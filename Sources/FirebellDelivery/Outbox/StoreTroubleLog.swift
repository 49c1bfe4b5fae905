import FirebellStore
import Logging
import Synchronization

/// While the store is away, the worker's claims fail on every poll tick and every
/// wake-up, alike. This logs one line when a kind of failure starts and one when the
/// store answers again, instead of one per tick (a ``FirebellStore/StoreUnavailable``
/// has the same text for every failure of one outage).
final class StoreTroubleLog: Sendable {
    private let failing = Mutex<String?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// `what` failed with `error`: logged if it is not the failure already logged.
    func failed(_ what: String, _ error: any Error, metadata: Logger.Metadata = [:]) {
        let text = "\(what): \(error)"
        let news = failing.withLock { failing in
            defer { failing = text }
            return failing != text
        }
        if news {
            var metadata = metadata.merging(["error": "\(error)"]) { $1 }
            if let cause = (error as? StoreUnavailable)?.cause { metadata["store.cause"] = "\(cause)" }
            logger.error("\(what); retrying until the store answers", metadata: metadata)
        } else {
            logger.debug("\(what)", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// The store answered: one line if it had been failing.
    func succeeded(_ what: String) {
        let was = failing.withLock { failing in
            defer { failing = nil }
            return failing
        }
        if was != nil { logger.notice("\(what) again") }
    }
}
