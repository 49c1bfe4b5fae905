import Foundation

// The keys and the omitted `nil`s follow the synthesized `Codable` conformance in
// Alert.swift; a property added there must be added here, to the writer and to the
// reader's `Field` table (tests check that every stored property is written, and that
// random values read back equal).

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
        writer.field("links", links)
        writer.field("deploy", deploy)
        writer.endObject()
    }
}

extension Alert: JSONReadable {
    /// The alert in `text`, as `jsonText()` writes it and `JSONDecoder` would read it; read
    /// and refused as `Issue.init(jsonText:)` is, the error naming the key path and offset.
    public init(jsonText text: String) throws {
        self = try JSONReader.read(Alert.self, from: text)
    }

    private enum Field: Int, JSONField {
        case kind, issueID, projectID, projectName, severity, title, culprit, level, environment, release, score
        case explanation, count, eventsSinceLastAlert, userCount, firstSeen, lastSeen, topFrames, createdAt, links
        case deploy
        static let names: [StaticString] = [
            "kind", "issueID", "projectID", "projectName", "severity", "title", "culprit", "level", "environment",
            "release", "score", "explanation", "count", "eventsSinceLastAlert", "userCount", "firstSeen", "lastSeen",
            "topFrames", "createdAt", "links", "deploy",
        ]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var kind: AlertKind?, issueID: Int64?, projectID: Int?, projectName: String?, severity: Severity?
        var title: String?, culprit: String?, level: Level?, environment: String?, release: String?
        var score: Int?, explanation: String?, count: Int?, eventsSinceLastAlert: Int?, userCount: Int?
        var firstSeen: Date?, lastSeen: Date?, topFrames: [String]?, createdAt: Date?, links: [AlertLink]?
        var deploy: DeployContext?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            do throws(JSONReader.Failure) {
                guard try !reader.skipNull() else { continue }
                switch field {
                case .kind: kind = try reader.readRawValue()
                case .issueID: issueID = try reader.readInt64()
                case .projectID: projectID = try reader.readInt()
                case .projectName: projectName = try reader.readString()
                case .severity: severity = try reader.readRawValue()
                case .title: title = try reader.readString()
                case .culprit: culprit = try reader.readString()
                case .level: level = try reader.readRawValue()
                case .environment: environment = try reader.readString()
                case .release: release = try reader.readString()
                case .score: score = try reader.readInt()
                case .explanation: explanation = try reader.readString()
                case .count: count = try reader.readInt()
                case .eventsSinceLastAlert: eventsSinceLastAlert = try reader.readInt()
                case .userCount: userCount = try reader.readInt()
                case .firstSeen: firstSeen = try reader.readDate()
                case .lastSeen: lastSeen = try reader.readDate()
                case .topFrames: topFrames = try reader.readStrings()
                case .createdAt: createdAt = try reader.readDate()
                case .links: links = try reader.readLinks()
                case .deploy: deploy = try DeployContext(reading: &reader)
                }
            } catch {
                throw error.inside(field)
            }
        }
        self.init(
            kind: try reader.required(kind, Field.kind), issueID: try reader.required(issueID, Field.issueID),
            projectID: try reader.required(projectID, Field.projectID),
            projectName: try reader.required(projectName, Field.projectName),
            severity: try reader.required(severity, Field.severity), title: try reader.required(title, Field.title),
            culprit: culprit, level: try reader.required(level, Field.level), environment: environment, release: release,
            score: try reader.required(score, Field.score), explanation: try reader.required(explanation, Field.explanation),
            count: try reader.required(count, Field.count),
            eventsSinceLastAlert: try reader.required(eventsSinceLastAlert, Field.eventsSinceLastAlert),
            userCount: try reader.required(userCount, Field.userCount),
            firstSeen: try reader.required(firstSeen, Field.firstSeen), lastSeen: try reader.required(lastSeen, Field.lastSeen),
            topFrames: try reader.required(topFrames, Field.topFrames), createdAt: try reader.required(createdAt, Field.createdAt),
            links: links, deploy: deploy)
    }
}
