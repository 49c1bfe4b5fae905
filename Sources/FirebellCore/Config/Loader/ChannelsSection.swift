import Foundation

/// Decodes `channels:`, a mapping from channel name to its settings.
enum ChannelsSection {
    /// The decoded channels, plus every name defined (even ones with errors,
    /// so a route naming a broken channel is not reported twice).
    static func decode(_ value: ConfigValue?) -> (channels: [ChannelConfig], names: [String]) {
        guard let map = value?.mapping() else { return ([], []) }
        let channels = map.entries.compactMap(decodeChannel)
        return (channels, map.entries.map(\.key))
    }

    private static var validTypes: String { ChannelType.allCases.map(\.rawValue).joined(separator: ", ") }

    private static func decodeChannel(_ entry: ConfigMapping.Entry) -> ChannelConfig? {
        let value = entry.value
        if value.isNull {
            // A bare `name:` has no node of its own worth pointing at; point at the name.
            value.reader.report(at: entry.keyMark, "\(value.path): missing 'type' (valid: \(validTypes))")
            return nil
        }
        guard let all = value.mapping() else { return nil }
        guard let typeValue = all.required("type", "valid: \(validTypes)"),
              let typeName = typeValue.requiredText()
        else { return nil }
        guard let type = ChannelType(rawValue: typeName) else {
            typeValue.fail("unknown channel type '\(typeName)' (valid: \(validTypes))")
            return nil
        }
        let schema = ChannelSchema.of(type)
        let map = all.restricted(to: schema.allowedKeys, validLabel: "valid for \(type.rawValue)")
        // Read every key even when some are missing, so one run reports all problems.
        let complete = checkRequired(map, schema: schema, type: type)

        var channel = ChannelConfig(name: entry.key, type: type)
        channel.line = entry.keyMark?.line
        channel.column = entry.keyMark?.column
        channel.url = map.nonEmptyText("url").flatMap { url($0, at: map["url"]!, type: type) }
        channel.token = map.nonEmptyText("token")
        channel.channel = map.nonEmptyText("channel")
        channel.secret = map["secret"]?.text()
        channel.chatID = map.nonEmptyText("chat_id")
        channel.routingKey = map.nonEmptyText("routing_key")
        channel.apiKey = map.nonEmptyText("api_key")
        channel.domain = map.nonEmptyText("domain")
        channel.region = map.nonEmptyText("region").flatMap { region($0, at: map["region"]!) }
        channel.serverToken = map.nonEmptyText("server_token")
        channel.from = map.nonEmptyText("from")
        channel.to = recipients(map)
        channel.username = map["username"]?.text()
        channel.password = map["password"]?.text()
        channel.starttls = map["starttls"]?.bool()
        channel.template = map["template"]?.text()
        channel.templateLine = map["template"]?.mark?.line
        channel.templateColumn = map["template"]?.mark?.column
        channel.sendResolved = map["send_resolved"]?.bool() ?? true
        channel.timeout = map["timeout"]?.positiveDuration() ?? ChannelConfig.defaultTimeout
        return complete ? channel : nil
    }

    /// Reports missing required keys; a key that is present but empty is
    /// reported where it is read, with the unset variable named.
    private static func checkRequired(_ map: ConfigMapping, schema: ChannelSchema, type: ChannelType) -> Bool {
        guard !schema.required.isEmpty else { return true }
        let present = Set(map.entries.map(\.key))
        if schema.required.contains(where: { Set($0).isSubset(of: present) }) { return true }
        let needs = "\(type.rawValue) needs \(schema.requirementText)"
        if schema.required.count == 1 {
            for key in schema.required[0] where !present.contains(key) {
                map.value.fail("missing '\(key)' (\(needs))")
            }
        } else {
            map.value.fail(needs)
        }
        return false
    }

    private static func url(_ text: String, at value: ConfigValue, type: ChannelType) -> String? {
        let schemes = type == .email ? ["smtp://", "smtps://"] : ["http://", "https://"]
        guard schemes.contains(where: { text.lowercased().hasPrefix($0) }) else {
            let why = type == .email ? " (smtp:// uses STARTTLS, smtps:// implicit TLS)" : ""
            value.fail("'\(text)' must start with \(schemes.joined(separator: " or "))\(why)")
            return nil
        }
        return text
    }

    private static func region(_ text: String, at value: ConfigValue) -> String? {
        guard ["us", "eu"].contains(text) else {
            value.fail("'\(text)' is not a Mailgun region (valid: us, eu)")
            return nil
        }
        return text
    }

    /// `to:` as a list or one address; when written, it must name someone.
    private static func recipients(_ map: ConfigMapping) -> [String] {
        guard let entry = map.entries.first(where: { $0.key == "to" }) else { return [] }
        guard let items = entry.value.scalarOrSequence() else { return [] }
        if items.isEmpty {
            entry.value.fail("must list at least one recipient")
            return []
        }
        return items.compactMap { $0.requiredText() }
    }
}
