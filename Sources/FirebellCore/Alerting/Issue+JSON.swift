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
