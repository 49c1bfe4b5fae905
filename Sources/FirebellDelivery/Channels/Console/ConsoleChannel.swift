import FirebellCore
import Foundation

/// Prints alerts on the daemon's standard output: the demo default, and handy when
/// trying rules locally.
public struct ConsoleChannel: ChannelEncoder {
    public init() {}

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        let text = AlertText(alert, baseURL: context.baseURL).plain
        // Each line is prefixed, so text inside an event cannot pass for another alert.
        let body = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "firebell| " + $0.replacingOccurrences(of: "\r", with: "") }
            .joined(separator: "\n")
        return .console(body)
    }
}
