// A template replaces the message text (sent with parse_mode HTML: the template's author owns its markup).
extension TelegramChannel {
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        ChannelTemplate.replacingJSON(in: message, at: ["text"], with: Truncation.cut(rendered, to: 4096))
    }
}
