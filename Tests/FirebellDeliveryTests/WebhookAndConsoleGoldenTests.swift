import FirebellCore
import Foundation
import Testing

@testable import FirebellDelivery

/// Golden files for the two channels that came first: the generic webhook and the console.
struct WebhookAndConsoleGoldenTests {
    static let rollUp = RollUp(alerts: [GoldenAlerts.ordinary, GoldenAlerts.hostile], reason: .channelRate(Rate(count: 20, period: 60)))

    static var resolved: Alert {
        var alert = GoldenAlerts.ordinary
        alert.kind = .resolved
        return alert
    }

    @Test func webhook() throws {
        let channel = WebhookChannel(url: "https://hooks.example.com/firebell", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", timeout: 10)
        try Golden.check(try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "webhook/ordinary.txt")
        try Golden.check(try channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "webhook/hostile.txt")
        try Golden.check(try channel.encode(GoldenAlerts.overLong, context: GoldenAlerts.context), "webhook/overlong.txt")
        try Golden.check(try channel.encode(Self.resolved, context: GoldenAlerts.context), "webhook/resolved.txt")
        try Golden.check(try channel.encode(Self.rollUp, context: GoldenAlerts.context), "webhook/rollup.txt")
    }

    @Test func console() throws {
        let channel = ConsoleChannel()
        try Golden.check(try channel.encode(GoldenAlerts.ordinary, context: GoldenAlerts.context), "console/ordinary.txt")
        try Golden.check(try channel.encode(GoldenAlerts.hostile, context: GoldenAlerts.context), "console/hostile.txt")
        try Golden.check(try channel.encode(Self.resolved, context: GoldenAlerts.context), "console/resolved.txt")
        try Golden.check(try channel.encode(Self.rollUp, context: GoldenAlerts.context), "console/rollup.txt")
    }
}
