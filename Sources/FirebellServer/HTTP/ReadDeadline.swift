import NIOCore

/// When a connection has waited too long for its client (`server.read_timeout`), and
/// what to do then: a pure state machine over the HTTP parts read and written, with
/// the time passed in. `ReadTimeoutHandler` feeds it and carries out its actions.
///
/// ```
///            head                  end (request read)
/// awaiting ────────► reading ─────────────────────► responding
///    ▲   (timeout:     │ (timeout: 408 + close,         │ (no timeout: the work
///    │    408 + close  │  or close if an answer         │  is the server's)
///    │    before any   │  already started)              │
///    │    answer; else │                                │
///    │    close: idle  │                                │
///    │    keep-alive)  │                                │
///    └─────────────────┴──────── response end ──────────┘
/// ```
///
/// The clock restarts with every part read (a body that keeps trickling is not cut
/// off) and when an answer ends (the keep-alive idle time counts from there). Headers
/// are one part: a client that sends them byte by byte still has only `timeout` for
/// all of them.
struct ReadDeadline {
    enum Action: Equatable {
        /// Not yet: look again at this time.
        case wait(until: NIODeadline)
        /// The server is working on an answer: nothing to time out until it ends.
        case none
        /// The client took too long to send a request: answer 408 and close.
        case answerTimeoutAndClose
        /// Close without a word: an idle keep-alive connection, or a request whose
        /// answer had already begun.
        case close
    }

    let timeout: TimeAmount
    private(set) var lastActivity: NIODeadline
    /// Requests whose head was read and whose answer has not ended (pipelining may make it more than one).
    private var unanswered = 0
    private var readingRequest = false
    private var answerStarted = false
    private var answeredAny = false

    init(timeout: TimeAmount, now: NIODeadline) {
        self.timeout = timeout
        self.lastActivity = now
    }

    enum Part { case head, body, end }

    mutating func read(_ part: Part, now: NIODeadline) {
        lastActivity = now
        switch part {
        case .head:
            readingRequest = true
            answerStarted = false
            unanswered += 1
        case .body:
            break
        case .end:
            readingRequest = false
        }
    }

    mutating func wrote(_ part: Part, now: NIODeadline) {
        switch part {
        case .head:
            answerStarted = true
        case .body:
            break
        case .end:
            unanswered = max(0, unanswered - 1)
            answeredAny = true
            lastActivity = now
        }
    }

    /// What to do when the timer fires at `now`.
    func check(now: NIODeadline) -> Action {
        if !readingRequest && unanswered > 0 { return .none }
        let deadline = lastActivity + timeout
        guard now >= deadline else { return .wait(until: deadline) }
        if readingRequest { return answerStarted ? .close : .answerTimeoutAndClose }
        return answeredAny ? .close : .answerTimeoutAndClose
    }
}
