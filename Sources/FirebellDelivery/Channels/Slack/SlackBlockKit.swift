import FirebellCore
import Foundation

/// What both Slack modes show for an alert or a roll-up: a plain fallback `text` and
/// Block Kit `blocks`. The incoming webhook (`SlackChannel`) posts it as is; token
/// mode (`SlackAPIChannel`) adds the channel, the thread, or the message to edit.
///
/// Untrusted text goes through `SlackChannel.escape` (`& < >` only) before any
/// markup is put around it, and every block is cut to Slack's limits with a marker.
struct SlackContent {

    var text: String
    var blocks: [SlackBlock]

    init(_ alert: Alert, baseURL: String) {
        let text = AlertText(alert, baseURL: baseURL)
        var lines = ["*\(SlackChannel.escape(text.whatHappened))*"]
        if let deploy = text.deployLine { lines.append(SlackChannel.escape(oneLine(deploy))) }
        lines += text.facts.map { "*\($0.label):* \(SlackChannel.escape($0.value))" }
        var blocks: [SlackBlock] = [
            .header(Truncation.cut(SlackChannel.escape(oneLine(text.headline)), to: SlackChannel.headerLimit)),
            .section(Truncation.cut(lines.joined(separator: "\n"), to: SlackChannel.sectionLimit)),
        ]
        if !alert.topFrames.isEmpty {
            let frames = alert.topFrames.map(SlackChannel.escape).joined(separator: "\n")
            blocks.append(.section(Truncation.cut("*Top frames*\n```\n\(frames)\n```", to: SlackChannel.sectionLimit)))
        }
        // The issue's own links before Firebell's, one element each, so a long one never
        // cuts another; one past Slack's limit is left out rather than cut into a broken link.
        let links = text.links.map { "<\(SlackChannel.escape($0.url))|\($0.title)>" }.filter { $0.count <= SlackChannel.sectionLimit }
        blocks.append(.context(links + ["<\(text.link)|Open issue #\(alert.issueID) in Firebell>"]))
        self.text = Truncation.cut(SlackChannel.escape(text.headline), to: SlackChannel.sectionLimit)
        self.blocks = blocks
    }

    init(_ rollUp: RollUp, baseURL: String) {
        let lines = rollUp.lines(baseURL: baseURL).map(SlackChannel.escape).joined(separator: "\n")
        text = Truncation.cut(SlackChannel.escape(rollUp.headline), to: SlackChannel.sectionLimit)
        blocks = [
            .header(Truncation.cut(SlackChannel.escape(oneLine(rollUp.headline)), to: SlackChannel.headerLimit)),
            .section(Truncation.cut(lines, to: SlackChannel.sectionLimit)),
        ]
    }
}
