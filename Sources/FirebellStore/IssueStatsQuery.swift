import FirebellCore
import Foundation

extension Event {
    /// The key that counts as one user (id, else email, username, IP); `nil` when the event names none.
    var userKey: String? { user?.identity }
}

extension IssueProcessor {
    /// Stats for the first event of an issue: every window holds just this event.
    func statsForNewIssue(_ event: Event) -> IssueStats {
        IssueStats.firstEvent(event, eventWindows: eventWindows, userWindows: userWindows)
    }
}
