import NIOCore
import Testing

@testable import FirebellServer

/// `server.read_timeout` as a state machine: who gets a 408, who is just closed, and
/// who is left alone, with the time passed in.
struct ReadDeadlineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let timeout = TimeAmount.seconds(30)

    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func headersNotCompleteInTimeGet408() {
        let deadline = ReadDeadline(timeout: timeout, now: start)
        #expect(deadline.check(now: at(29)) == .wait(until: at(30)))
        #expect(deadline.check(now: at(30)) == .answerTimeoutAndClose)
    }

    @Test func aBodyThatStopsArrivingGets408() {
        var deadline = ReadDeadline(timeout: timeout, now: start)
        deadline.read(.head, now: at(1))
        deadline.read(.body, now: at(20))
        #expect(deadline.check(now: at(31)) == .wait(until: at(50)))
        deadline.read(.body, now: at(40))
        #expect(deadline.check(now: at(69)) == .wait(until: at(70)))
        #expect(deadline.check(now: at(70)) == .answerTimeoutAndClose)
    }

    @Test func aRequestBeingAnsweredIsNeverTimedOut() {
        var deadline = ReadDeadline(timeout: timeout, now: start)
        deadline.read(.head, now: at(1))
        deadline.read(.end, now: at(1))
        #expect(deadline.check(now: at(500)) == .none)
    }

    @Test func anIdleKeepAliveConnectionIsClosedWithoutAWord() {
        var deadline = ReadDeadline(timeout: timeout, now: start)
        deadline.read(.head, now: at(1))
        deadline.read(.end, now: at(1))
        deadline.wrote(.head, now: at(2))
        deadline.wrote(.end, now: at(2))
        #expect(deadline.check(now: at(31)) == .wait(until: at(32)))
        #expect(deadline.check(now: at(32)) == .close)
    }

    @Test func aStalledBodyWhoseAnswerBeganIsClosedWithoutASecondAnswer() {
        var deadline = ReadDeadline(timeout: timeout, now: start)
        deadline.read(.head, now: at(1))
        deadline.wrote(.head, now: at(2))
        #expect(deadline.check(now: at(31)) == .close)
    }
}
