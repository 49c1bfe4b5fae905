import Foundation
import Testing

@testable import FirebellCore

/// `backtest` counts messages as the deliverer sends them, `channel_rate`'s critical reserve included.
struct BacktestMessagesTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func owed(_ severities: [Severity]) -> [OwedDelivery] {
        severities.enumerated().map { n, severity in
            let alert = Alert(
                kind: .new, issueID: Int64(n + 1), projectID: 1, projectName: "shop", severity: severity, title: "issue \(n)",
                culprit: nil, level: .error, environment: nil, release: nil, score: 0, explanation: "", count: 1,
                eventsSinceLastAlert: 1, userCount: 0, firstSeen: t0, lastSeen: t0, topFrames: [],
                createdAt: t0.addingTimeInterval(Double(n) * 0.01))
            return OwedDelivery(issue: IssueKey(projectID: 1, fingerprint: "f\(n)"), channel: "chat", alert: alert, due: alert.createdAt, digest: nil)
        }
    }

    @Test func minorAlertsLeaveTheReserveSoACriticalOneAfterThemGoesAlone() {
        // 3/min keeps 1 token for critical alerts: two minor alone, the third held, the critical alone.
        let counts = Backtest.messages(owed([.minor, .minor, .minor, .critical]), channelRate: Rate(count: 3, period: 60))["chat"]
        #expect(counts?.total == 4 && counts?.rollUps == 1)
        // Four critical alerts take every token: three alone, the fourth in a roll-up.
        let critical = Backtest.messages(owed([.critical, .critical, .critical, .critical]), channelRate: Rate(count: 3, period: 60))["chat"]
        #expect(critical?.total == 4 && critical?.rollUps == 1)
        let minor = Backtest.messages(owed([.minor, .minor, .minor, .minor]), channelRate: Rate(count: 3, period: 60))["chat"]
        #expect(minor?.total == 3 && minor?.rollUps == 1)
    }
}
