// A template replaces the incident summary; routing_key, dedup_key and event_action stay.
// A resolve event has no payload, so nothing changes for it.
extension PagerDutyChannel {
    public func applying(template rendered: String, to message: ChannelMessage) -> ChannelMessage {
        guard case .http(let request) = message, String(decoding: request.body, as: UTF8.self).contains("\"payload\"") else {
            return message
        }
        return ChannelTemplate.replacingJSON(in: message, at: ["payload", "summary"], with: Truncation.cut(rendered, to: 1024))
    }
}
