import FirebellCore
import Foundation
import Mustache

/// A channel's optional Mustache `template`: it replaces the body the channel's
/// encoder would send (the JSON body of an HTTP channel, the printed text of
/// `console`), so a team can shape any receiver's payload.
///
/// Templates see the alert's fields. `{{title}}` is HTML-escaped by Mustache
/// (which also keeps Slack's `& < >` inert); inside a JSON body use
/// `{{{json.title}}}`, the same value escaped as JSON string content.
public struct ChannelTemplate: Sendable {
    let template: MustacheTemplate

    public init(_ source: String) throws {
        template = try MustacheTemplate(string: source)
    }

    /// Every channel template of `config` that does not compile, as `check-config` errors.
    public static func validate(_ config: FirebellConfig) -> [ConfigError] {
        config.channels.compactMap { channel in
            guard let source = channel.template else { return nil }
            do {
                _ = try ChannelTemplate(source)
                return nil
            } catch {
                var detail = "\(error)"
                if let parse = error as? MustacheTemplate.ParserError {
                    detail = "\(parse.error) at template line \(parse.context.lineNumber), column \(parse.context.columnNumber)"
                }
                return ConfigError(
                    file: config.sourcePath, line: channel.templateLine ?? 0, column: channel.templateColumn ?? 0,
                    message: "channels.\(channel.name).template: does not compile: \(detail) (see https://mustache.github.io/mustache.5.html)")
            }
        }
    }

    /// The rendered text for one alert.
    public func render(_ alert: Alert, baseURL: String) -> String {
        template.render(Self.fields(alert, baseURL: baseURL))
    }

    /// The rendered text for several alerts: `headline`, `count`, `alerts` (each with the alert fields), `lines`.
    public func render(_ rollUp: RollUp, baseURL: String) -> String {
        let alerts = rollUp.alerts.map { Self.fields($0, baseURL: baseURL) }
        var fields: [String: Any] = [
            "rollup": true, "headline": rollUp.headline, "count": rollUp.alerts.count,
            "alerts": alerts, "lines": rollUp.lines(baseURL: baseURL),
            "severity": rollUp.severity.rawValue,
        ]
        fields["json"] = ["headline": Self.json(rollUp.headline)]
        return template.render(fields)
    }

    /// Replaces the body of `message` with `rendered`.
    public static func apply(_ rendered: String, to message: ChannelMessage) -> ChannelMessage {
        switch message {
        case .console:
            return .console(rendered)
        case .http(var request):
            request.body = Array(rendered.utf8)
            return .http(request)
        case .mail(let mail):
            return .mail(MIMEMessage.replacingBody(of: mail, withText: rendered))
        }
    }

    /// Edits the JSON body of an HTTP message: sets `path` (keys from the top) to `value`
    /// and drops `removing` at the top level. Other messages pass through.
    public static func replacingJSON(
        in message: ChannelMessage, at path: [String], with value: String, removing: [String] = []
    ) -> ChannelMessage {
        guard case .http(var request) = message,
              var object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        else { return message }
        for key in removing { object[key] = nil }
        object = setting(object, path[...], value)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return message
        }
        request.body = Array(data)
        return .http(request)
    }

    private static func setting(_ object: [String: Any], _ path: ArraySlice<String>, _ value: String) -> [String: Any] {
        guard let key = path.first else { return object }
        var object = object
        if path.count == 1 {
            object[key] = value
        } else {
            object[key] = setting(object[key] as? [String: Any] ?? [:], path.dropFirst(), value)
        }
        return object
    }

    static func fields(_ alert: Alert, baseURL: String) -> [String: Any] {
        let text = AlertText(alert, baseURL: baseURL)
        let strings: [String: String] = [
            "kind": alert.kind.rawValue, "severity": alert.severity.rawValue, "severity_label": text.severityLabel,
            "title": alert.title, "project": alert.projectName, "environment": alert.environment ?? "",
            "release": alert.release ?? "", "culprit": alert.culprit ?? "", "level": alert.level.rawValue,
            "explanation": alert.explanation, "first_seen": Timestamps.format(alert.firstSeen),
            "last_seen": Timestamps.format(alert.lastSeen), "link": text.link, "headline": text.headline,
            "what_happened": text.whatHappened, "scope": text.scope, "deploy": text.deployLine ?? "",
        ]
        var fields: [String: Any] = strings
        fields["issue_id"] = alert.issueID
        fields["score"] = alert.score
        fields["count"] = alert.count
        fields["events_since_last_alert"] = alert.eventsSinceLastAlert
        fields["users"] = alert.userCount
        fields["top_frames"] = alert.topFrames
        fields["links"] = text.links.map { ["title": $0.title, "url": $0.url] }
        fields["critical"] = alert.severity == .critical
        fields["resolved"] = alert.kind == .resolved
        fields["json"] = strings.mapValues(json)
        return fields
    }

    /// `value` as the inside of a JSON string (no surrounding quotes).
    static func json(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        guard let data = try? encoder.encode(value) else { return "" }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
