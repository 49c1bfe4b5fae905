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
