import Foundation

// The keys and the omitted `nil`s follow the synthesized `Codable` conformance in
// Alert.swift; a property added there must be added here (a test checks that every
// stored property is written).

extension Alert: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("kind", kind)
        writer.field("issueID", issueID)
        writer.field("projectID", projectID)
        writer.field("projectName", projectName)
        writer.field("severity", severity)
        writer.field("title", title)
        writer.field("culprit", culprit)
        writer.field("level", level)
        writer.field("environment", environment)
        writer.field("release", release)
        writer.field("score", score)
        writer.field("explanation", explanation)
        writer.field("count", count)
        writer.field("eventsSinceLastAlert", eventsSinceLastAlert)
        writer.field("userCount", userCount)
        writer.field("firstSeen", firstSeen)
        writer.field("lastSeen", lastSeen)
        writer.field("topFrames", topFrames)
        writer.field("createdAt", createdAt)
        writer.endObject()
    }
}

extension Alert {
    /// The alert in `text`, just as `JSONDecoder().decode(Alert.self, from:)` reads it.
    ///
    /// The compact JSON that `jsonText()` and `JSONEncoder` write takes a fast path; anything
    /// else (a `null`, an unknown or repeated key, an unusual number) goes to `JSONDecoder`,
    /// which reads it or throws its usual `DecodingError`.
    public init(jsonText text: String) throws {
        if let alert = Self.readFast(text) {
            self = alert
        } else {
            self = try JSONDecoder().decode(Alert.self, from: Data(text.utf8))
        }
    }

    /// The fast path of `init(jsonText:)`: `nil` wherever it might differ from `JSONDecoder`.
    static func readFast(_ text: String) -> Alert? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = FlatJSONReader(bytes)
            var kind: AlertKind?, issueID: Int64?, projectID: Int?, projectName: String?, severity: Severity?
            var title: String?, culprit: String?, level: Level?, environment: String?, release: String?
            var score: Int?, explanation: String?, count: Int?, eventsSinceLastAlert: Int?, userCount: Int?
            var firstSeen: Date?, lastSeen: Date?, topFrames: [String]?, createdAt: Date?
            let complete = reader.object { reader, key in
                switch key {
                case "kind": FlatJSONReader.fill(&kind, with: reader.rawValue())
                case "issueID": FlatJSONReader.fill(&issueID, with: reader.integer())
                case "projectID": FlatJSONReader.fill(&projectID, with: reader.int())
                case "projectName": FlatJSONReader.fill(&projectName, with: reader.string())
                case "severity": FlatJSONReader.fill(&severity, with: reader.rawValue())
                case "title": FlatJSONReader.fill(&title, with: reader.string())
                case "culprit": FlatJSONReader.fill(&culprit, with: reader.string())
                case "level": FlatJSONReader.fill(&level, with: reader.rawValue())
                case "environment": FlatJSONReader.fill(&environment, with: reader.string())
                case "release": FlatJSONReader.fill(&release, with: reader.string())
                case "score": FlatJSONReader.fill(&score, with: reader.int())
                case "explanation": FlatJSONReader.fill(&explanation, with: reader.string())
                case "count": FlatJSONReader.fill(&count, with: reader.int())
                case "eventsSinceLastAlert": FlatJSONReader.fill(&eventsSinceLastAlert, with: reader.int())
                case "userCount": FlatJSONReader.fill(&userCount, with: reader.int())
                case "firstSeen": FlatJSONReader.fill(&firstSeen, with: reader.date())
                case "lastSeen": FlatJSONReader.fill(&lastSeen, with: reader.date())
                case "topFrames": FlatJSONReader.fill(&topFrames, with: reader.strings())
                case "createdAt": FlatJSONReader.fill(&createdAt, with: reader.date())
                default: false
                }
            }
            guard complete, reader.atEnd(), let kind, let issueID, let projectID, let projectName, let severity,
                  let title, let level, let score, let explanation, let count, let eventsSinceLastAlert, let userCount,
                  let firstSeen, let lastSeen, let topFrames, let createdAt
            else { return nil }
            return Alert(
                kind: kind, issueID: issueID, projectID: projectID, projectName: projectName, severity: severity,
                title: title, culprit: culprit, level: level, environment: environment, release: release, score: score,
                explanation: explanation, count: count, eventsSinceLastAlert: eventsSinceLastAlert,
                userCount: userCount, firstSeen: firstSeen, lastSeen: lastSeen, topFrames: topFrames,
                createdAt: createdAt)
        }
    }
}
