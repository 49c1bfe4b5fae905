import Foundation

// The keys and the omitted `nil`s follow the synthesized `Codable` conformances in
// Issue.swift; a property added there must be added here (a test checks that every
// stored property is written).

extension Issue: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("projectID", projectID)
        writer.field("fingerprint", fingerprint)
        writer.field("title", title)
        writer.field("culprit", culprit)
        writer.field("level", level)
        writer.field("status", status)
        writer.field("severity", severity)
        writer.field("explanation", explanation)
        writer.field("score", score)
        writer.field("count", count)
        writer.field("userCount", userCount)
        writer.field("firstSeen", firstSeen)
        writer.field("lastSeen", lastSeen)
        writer.field("environment", environment)
        writer.field("release", release)
        writer.field("topFrames", topFrames)
        writer.field("lastAlertAt", lastAlertAt)
        writer.field("eventsSinceAlert", eventsSinceAlert)
        writer.field("mute", mute)
        writer.field("resolvedAt", resolvedAt)
        writer.endObject()
    }
}

extension Mute: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("until", until)
        writer.field("remainingEvents", remainingEvents)
        writer.endObject()
    }
}

extension Issue {
    /// The issue in `text`, just as `JSONDecoder().decode(Issue.self, from:)` reads it.
    ///
    /// The compact JSON that `jsonText()` and `JSONEncoder` write takes a fast path; anything
    /// else (a `null`, an unknown or repeated key, an unusual number) goes to `JSONDecoder`,
    /// which reads it or throws its usual `DecodingError`.
    public init(jsonText text: String) throws {
        if let issue = Self.readFast(text) {
            self = issue
        } else {
            self = try JSONDecoder().decode(Issue.self, from: Data(text.utf8))
        }
    }

    /// The fast path of `init(jsonText:)`: `nil` wherever it might differ from `JSONDecoder`.
    static func readFast(_ text: String) -> Issue? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = FlatJSONReader(bytes)
            var id: Int64?, projectID: Int?, fingerprint: String?, title: String?, culprit: String?
            var level: Level?, status: IssueStatus?, severity: Severity?, explanation: String?
            var score: Int?, count: Int?, userCount: Int?, firstSeen: Date?, lastSeen: Date?
            var environment: String?, release: String?, topFrames: [String]?, lastAlertAt: Date?
            var eventsSinceAlert: Int?, mute: Mute?, resolvedAt: Date?
            let complete = reader.object { reader, key in
                switch key {
                case "id": FlatJSONReader.fill(&id, with: reader.integer())
                case "projectID": FlatJSONReader.fill(&projectID, with: reader.int())
                case "fingerprint": FlatJSONReader.fill(&fingerprint, with: reader.string())
                case "title": FlatJSONReader.fill(&title, with: reader.string())
                case "culprit": FlatJSONReader.fill(&culprit, with: reader.string())
                case "level": FlatJSONReader.fill(&level, with: reader.rawValue())
                case "status": FlatJSONReader.fill(&status, with: reader.rawValue())
                case "severity": FlatJSONReader.fill(&severity, with: reader.rawValue())
                case "explanation": FlatJSONReader.fill(&explanation, with: reader.string())
                case "score": FlatJSONReader.fill(&score, with: reader.int())
                case "count": FlatJSONReader.fill(&count, with: reader.int())
                case "userCount": FlatJSONReader.fill(&userCount, with: reader.int())
                case "firstSeen": FlatJSONReader.fill(&firstSeen, with: reader.date())
                case "lastSeen": FlatJSONReader.fill(&lastSeen, with: reader.date())
                case "environment": FlatJSONReader.fill(&environment, with: reader.string())
                case "release": FlatJSONReader.fill(&release, with: reader.string())
                case "topFrames": FlatJSONReader.fill(&topFrames, with: reader.strings())
                case "lastAlertAt": FlatJSONReader.fill(&lastAlertAt, with: reader.date())
                case "eventsSinceAlert": FlatJSONReader.fill(&eventsSinceAlert, with: reader.int())
                case "mute": FlatJSONReader.fill(&mute, with: Mute.readFast(&reader))
                case "resolvedAt": FlatJSONReader.fill(&resolvedAt, with: reader.date())
                default: false
                }
            }
            guard complete, reader.atEnd(), let id, let projectID, let fingerprint, let title, let level, let status,
                  let severity, let explanation, let score, let count, let userCount, let firstSeen, let lastSeen,
                  let topFrames, let eventsSinceAlert
            else { return nil }
            return Issue(
                id: id, projectID: projectID, fingerprint: fingerprint, title: title, culprit: culprit, level: level,
                status: status, severity: severity, explanation: explanation, score: score, count: count,
                userCount: userCount, firstSeen: firstSeen, lastSeen: lastSeen, environment: environment,
                release: release, topFrames: topFrames, lastAlertAt: lastAlertAt, eventsSinceAlert: eventsSinceAlert,
                mute: mute, resolvedAt: resolvedAt)
        }
    }
}

extension Mute {
    fileprivate static func readFast(_ reader: inout FlatJSONReader) -> Mute? {
        var until: Date?, remainingEvents: Int?
        let complete = reader.object { reader, key in
            switch key {
            case "until": FlatJSONReader.fill(&until, with: reader.date())
            case "remainingEvents": FlatJSONReader.fill(&remainingEvents, with: reader.int())
            default: false
            }
        }
        return complete ? Mute(until: until, remainingEvents: remainingEvents) : nil
    }
}
