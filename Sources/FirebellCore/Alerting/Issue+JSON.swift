import Foundation

// The keys and the omitted `nil`s follow the synthesized `Codable` conformances in
// Issue.swift; a property added there must be added here, to the writer and to the
// reader's `Field` table (tests check that every stored property is written, and that
// random values read back equal).

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
        writer.field("regressions", regressions)
        writer.field("flappingSince", flappingSince)
        writer.field("links", links)
        writer.field("resolvedBy", resolvedBy)
        writer.endObject()
    }
}

extension Mute: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("until", until)
        writer.field("remainingEvents", remainingEvents)
        writer.field("severity", severity)
        writer.endObject()
    }
}

extension Issue: JSONReadable {
    /// The issue in `text`, as `jsonText()` writes it and `JSONDecoder` would read it.
    ///
    /// One reader, `JSONReader`, and no second path: the store's rows are all written by
    /// `jsonText()` (and older ones by `JSONEncoder`, read the same). Unknown keys are
    /// skipped and a `null` optional is `nil`, as `JSONDecoder` reads them; where it might
    /// read a value its own way (a repeated key, an integer spelt `110.0`, text outside
    /// RFC 8259) this throws instead. The error names the key path and the byte offset:
    /// `'mute.until': expected a date, in seconds since 2001 at byte 412`.
    public init(jsonText text: String) throws {
        self = try JSONReader.read(Issue.self, from: text)
    }

    private enum Field: Int, JSONField {
        case id, projectID, fingerprint, title, culprit, level, status, severity, explanation, score, count
        case userCount, firstSeen, lastSeen, environment, release, topFrames, lastAlertAt, eventsSinceAlert
        case mute, resolvedAt, regressions, flappingSince, links, resolvedBy
        static let names: [StaticString] = [
            "id", "projectID", "fingerprint", "title", "culprit", "level", "status", "severity", "explanation",
            "score", "count", "userCount", "firstSeen", "lastSeen", "environment", "release", "topFrames",
            "lastAlertAt", "eventsSinceAlert", "mute", "resolvedAt", "regressions", "flappingSince", "links", "resolvedBy",
        ]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var id: Int64?, projectID: Int?, fingerprint: String?, title: String?, culprit: String?
        var level: Level?, status: IssueStatus?, severity: Severity?, explanation: String?
        var score: Int?, count: Int?, userCount: Int?, firstSeen: Date?, lastSeen: Date?
        var environment: String?, release: String?, topFrames: [String]?, lastAlertAt: Date?
        var eventsSinceAlert: Int?, mute: Mute?, resolvedAt: Date?, regressions: [Date]?, flappingSince: Date?
        var links: [AlertLink]?, resolvedBy: String?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            do throws(JSONReader.Failure) {
                guard try !reader.skipNull() else { continue }
                switch field {
                case .id: id = try reader.readInt64()
                case .projectID: projectID = try reader.readInt()
                case .fingerprint: fingerprint = try reader.readString()
                case .title: title = try reader.readString()
                case .culprit: culprit = try reader.readString()
                case .level: level = try reader.readRawValue()
                case .status: status = try reader.readRawValue()
                case .severity: severity = try reader.readRawValue()
                case .explanation: explanation = try reader.readString()
                case .score: score = try reader.readInt()
                case .count: count = try reader.readInt()
                case .userCount: userCount = try reader.readInt()
                case .firstSeen: firstSeen = try reader.readDate()
                case .lastSeen: lastSeen = try reader.readDate()
                case .environment: environment = try reader.readString()
                case .release: release = try reader.readString()
                case .topFrames: topFrames = try reader.readStrings()
                case .lastAlertAt: lastAlertAt = try reader.readDate()
                case .eventsSinceAlert: eventsSinceAlert = try reader.readInt()
                case .mute: mute = try Mute(reading: &reader)
                case .resolvedAt: resolvedAt = try reader.readDate()
                case .regressions: regressions = try reader.readDates()
                case .flappingSince: flappingSince = try reader.readDate()
                case .links: links = try reader.readLinks()
                case .resolvedBy: resolvedBy = try reader.readString()
                }
            } catch {
                throw error.inside(field)
            }
        }
        self.init(
            id: try reader.required(id, Field.id), projectID: try reader.required(projectID, Field.projectID),
            fingerprint: try reader.required(fingerprint, Field.fingerprint), title: try reader.required(title, Field.title),
            culprit: culprit, level: try reader.required(level, Field.level), status: try reader.required(status, Field.status),
            severity: try reader.required(severity, Field.severity),
            explanation: try reader.required(explanation, Field.explanation), score: try reader.required(score, Field.score),
            count: try reader.required(count, Field.count), userCount: try reader.required(userCount, Field.userCount),
            firstSeen: try reader.required(firstSeen, Field.firstSeen), lastSeen: try reader.required(lastSeen, Field.lastSeen),
            environment: environment, release: release, topFrames: try reader.required(topFrames, Field.topFrames),
            lastAlertAt: lastAlertAt, eventsSinceAlert: try reader.required(eventsSinceAlert, Field.eventsSinceAlert),
            mute: mute, resolvedAt: resolvedAt, regressions: regressions, flappingSince: flappingSince, links: links,
            resolvedBy: resolvedBy)
    }
}

extension Mute: JSONReadable {
    private enum Field: Int, JSONField {
        case until, remainingEvents, severity
        static let names: [StaticString] = ["until", "remainingEvents", "severity"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var until: Date?, remainingEvents: Int?, severity: Severity?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            do throws(JSONReader.Failure) {
                guard try !reader.skipNull() else { continue }
                switch field {
                case .until: until = try reader.readDate()
                case .remainingEvents: remainingEvents = try reader.readInt()
                case .severity: severity = try reader.readRawValue()
                }
            } catch {
                throw error.inside(field)
            }
        }
        self.init(until: until, remainingEvents: remainingEvents, severity: severity)
    }
}
