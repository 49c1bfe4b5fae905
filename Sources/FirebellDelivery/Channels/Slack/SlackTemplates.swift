import FirebellCore

// A template replaces a Slack message's text; the Block Kit layout goes, so the text shows.
extension SlackChannel {
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["text"], with: rendered, removing: ["blocks"])
    }
}

extension SlackAPIChannel {
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["text"], with: rendered, removing: ["blocks"])
    }
}
