import FirebellCore
import Foundation

/// Prints alerts on the daemon's standard output: the demo default, and handy when
/// trying rules locally.
///
/// The terminal is a receiver too: event text must not drive it. Control characters
/// from an alert's text (ESC of a clear-screen or cursor-up sequence, CR, BEL, line
/// breaks…) are printed escaped (`\e`, `\r`, `\x07`, `\n`), never emitted; only the
/// line breaks the channel writes itself end lines, and each line is prefixed.
public struct ConsoleChannel: ChannelEncoder {
    public init() {}

    public func encode(_ alert: Alert, context: DeliveryContext) throws -> ChannelMessage {
        .console(Self.prefixed(AlertText(Self.escaped(alert), baseURL: context.baseURL).plain))
    }

    public func encode(_ rollUp: RollUp, context: DeliveryContext) throws -> ChannelMessage {
        let escaped = RollUp(alerts: rollUp.alerts.map(Self.escaped), reason: rollUp.reason)
        return .console(Self.prefixed(escaped.plain(baseURL: context.baseURL)))
    }

    /// A template's text is printed as written, its line breaks kept (the template's own
    /// and those a triple-mustache value brings, each line prefixed); every other control
    /// character is escaped.
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .console = message else { return ChannelTemplate.apply(rendered, to: message) }
        let lines = rendered.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        return .console(Self.prefixed(lines.map { Self.escaping(String($0)) }.joined(separator: "\n")))
    }

    /// Each line is prefixed, so text inside an event cannot pass for another alert.
    static func prefixed(_ text: String) -> String {
        // Any line break counts (CR, LF, CRLF — one Character in Swift — and Unicode ones).
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { "firebell| " + $0 }
            .joined(separator: "\n")
    }

    /// The alert with every text field escaped (see ``escaping(_:)``).
    static func escaped(_ alert: Alert) -> Alert {
        var alert = alert
        alert.title = escaping(alert.title)
        alert.projectName = escaping(alert.projectName)
        alert.culprit = alert.culprit.map(escaping)
        alert.environment = alert.environment.map(escaping)
        alert.release = alert.release.map(escaping)
        if let release = alert.deploy?.release { alert.deploy?.release = escaping(release) }
        alert.explanation = escaping(alert.explanation)
        alert.topFrames = alert.topFrames.map(escaping)
        return alert
    }

    /// `text` with every control character (C0 but tab, DEL, C1) and the Unicode line
    /// and paragraph separators written out: `\e` for ESC, `\n`, `\r`, and `\xHH` or
    /// `\u{HHHH}` for the rest. Tab stays: it moves the cursor, but only forward on its
    /// own line. A backslash stays too (Windows paths read as written): text that looks
    /// like an escape is only text.
    static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let written: String
            switch scalar.value {
            case 0x1B: written = "\\e"
            case 0x0A: written = "\\n"
            case 0x0D: written = "\\r"
            case 0x00...0x7F: written = "\\x" + hex(scalar.value, width: 2)
            default: written = "\\u{" + hex(scalar.value, width: 4) + "}"
            }
            out.append(contentsOf: written.unicodeScalars)
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00...0x1F, 0x7F, 0x80...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
