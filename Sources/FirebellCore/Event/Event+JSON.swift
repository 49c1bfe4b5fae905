import Foundation

// The keys and the omitted `nil`s follow the synthesized `Codable` conformances in
// Event.swift; a property added there must be added here (a test checks that every
// stored property is written).

extension Event: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("eventID", eventID)
        writer.field("timestamp", timestamp)
        writer.field("level", level)
        writer.field("message", message)
        writer.field("environment", environment)
        writer.field("service", service)
        writer.field("release", release)
        writer.field("platform", platform)
        writer.field("exception", exception)
        writer.field("fingerprint", fingerprint)
        writer.field("tags", tags)
        writer.field("user", user)
        writer.field("url", url)
        writer.field("logger", logger)
        writer.field("dist", dist)
        writer.field("serverName", serverName)
        writer.field("formattedMessage", formattedMessage)
        writer.endObject()
    }
}

extension ExceptionInfo: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("type", type)
        writer.field("value", value)
        writer.field("stacktrace", stacktrace)
        writer.endObject()
    }
}

extension Frame: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("module", module)
        writer.field("function", function)
        writer.field("filename", filename)
        writer.field("lineno", lineno)
        writer.field("inApp", inApp)
        writer.endObject()
    }
}

extension User: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id)
        writer.field("email", email)
        writer.field("username", username)
        writer.field("ipAddress", ipAddress)
        writer.endObject()
    }
}
