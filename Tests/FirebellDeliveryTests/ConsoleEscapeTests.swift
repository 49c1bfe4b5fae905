import FirebellCore
import Foundation
import Testing

@testable import FirebellDelivery

/// Event text never drives the terminal the console channel prints on.
struct ConsoleEscapeTests {
    static let hostile = "boom\u{1B}[2J\u{1B}[1A\rfake\u{07}\u{9B}31m\u{2028}x\ty"

    func printed(_ message: ChannelMessage) throws -> String {
        guard case .console(let text) = message else { throw NotHTTP() }
        return text
    }

    /// Every character that moves the cursor or talks to the terminal, but the tab.
    func controls(in text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { scalar in
            (scalar.value < 0x20 && scalar != "\t" && scalar != "\n") || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029
        }
    }

    @Test func controlCharactersFromEventTextArePrintedEscapedNeverEmitted() throws {
        var alert = ChannelEncoderTests.alert(title: "PaymentError: " + Self.hostile, release: Self.hostile)
        alert.culprit = "shop\r\nfirebell| [CRITICAL] forged"
        alert.topFrames = [Self.hostile]
        let text = try printed(ConsoleChannel().encode(alert, context: ChannelEncoderTests().context))
        #expect(controls(in: text).isEmpty)
        #expect(text.contains(#"PaymentError: boom\e[2J\e[1A\rfake\x07\u{009B}31m\u{2028}x"#))
        // The channel's own line breaks stay; the event's cannot start a line of its own.
        let lines = text.split(separator: "\n")
        #expect(lines.count > 5 && lines.allSatisfy { $0.hasPrefix("firebell| ") })
        #expect(!lines.contains { $0.hasPrefix("firebell| firebell|") })
        #expect(text.contains(#"shop\r\nfirebell| [CRITICAL] forged"#))
    }

    @Test func aRollUpIsEscapedToo() throws {
        let rollUp = RollUp(alerts: [ChannelEncoderTests.alert(title: Self.hostile)], reason: .digest(3600))
        let text = try printed(ConsoleChannel().encode(rollUp, context: ChannelEncoderTests().context))
        #expect(controls(in: text).isEmpty && text.contains(#"boom\e[2J"#))
    }

    @Test func aTemplateKeepsItsLinesButNotTheEscapes() throws {
        let alert = ChannelEncoderTests.alert(title: Self.hostile)
        let template = try ChannelTemplate("ALERT {{{title}}}\nsecond line")
        let channel = ConsoleChannel()
        let message = channel.applying(
            template: template.render(alert, baseURL: "http://firebell.test"),
            to: try channel.encode(alert, context: ChannelEncoderTests().context))
        let text = try printed(message)
        #expect(controls(in: text).isEmpty)
        #expect(text.hasPrefix(#"firebell| ALERT boom\e[2J\e[1A"#))
        #expect(text.hasSuffix("\nfirebell| second line"))
    }

    @Test func ordinaryTextIsLeftAlone() {
        #expect(ConsoleChannel.escaping(#"C:\path\to "quoted" — ünïcode\#ttab"#) == #"C:\path\to "quoted" — ünïcode\#ttab"#)
    }
}
