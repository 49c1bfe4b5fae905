import FirebellCore
import Foundation

/// Prints alerts on the daemon's standard output: the demo default, and handy when
/// trying rules locally.
public struct ConsoleChannel: ChannelEncoder {
    public init() {}

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        .console(Self.prefixed(AlertText(alert, baseURL: context.baseURL).plain))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        .console(Self.prefixed(rollUp.plain(baseURL: context.baseURL)))
    }

    /// Each line is prefixed, so text inside an event cannot pass for another alert.
    static func prefixed(_ text: String) -> String {
        // Any line break counts (CR, LF, CRLF — one Character in Swift — and Unicode ones).
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { "firebell| " + $0 }
            .joined(separator: "\n")
    }
}
