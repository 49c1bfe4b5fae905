import FirebellCore
import Foundation

/// The triage changes, shared by every backend so they cannot disagree.
extension Issue {
    mutating func resolve(at now: Date, by who: String) {
        status = .resolved
        resolvedAt = now
        resolvedBy = who
        mute = nil
    }

    mutating func mute(_ mute: Mute) {
        status = .muted
        self.mute = mute
        self.mute?.severity = severity
    }

    mutating func unmute() {
        guard status == .muted else { return }
        status = .open
        mute = nil
    }
}

extension OutboxEntry {
    /// Records an attempt's end on the row.
    mutating func apply(_ result: DeliveryResult, at now: Date) {
        switch result {
        case .delivered(let status):
            self.status = .delivered
            finishedAt = now
            lastStatus = status
        case .retry(let at, let status, let error):
            self.status = .pending
            nextAttemptAt = at
            lastStatus = status
            lastError = error
        case .deferred(let until):
            self.status = .pending
            nextAttemptAt = until
            attempts = max(0, attempts - 1)
            heldBack = digest == nil
        case .held(let until, let status, let error):
            self.status = .pending
            nextAttemptAt = until
            attempts = max(0, attempts - 1)
            lastStatus = status
            lastError = error
        case .dead(let status, let error):
            self.status = .dead
            finishedAt = now
            lastStatus = status
            lastError = error
        }
    }
}

extension OutboxEntry {
    /// The `last_error` of a row its issue's mute cancelled.
    public static let mutedError = "not sent: the issue was muted"
}
