import Foundation

// The keys follow the synthesized `Codable` conformance in DeployContext.swift.

extension DeployContext: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("release", release)
        writer.field("firstSeen", firstSeen)
        writer.field("newIssues", newIssues)
        writer.endObject()
    }
}

extension DeployContext: JSONReadable {
    private enum Field: Int, JSONField {
        case release, firstSeen, newIssues
        static let names: [StaticString] = ["release", "firstSeen", "newIssues"]
    }

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var release: String?, firstSeen: Date?, newIssues: Int?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            do throws(JSONReader.Failure) {
                guard try !reader.skipNull() else { continue }
                switch field {
                case .release: release = try reader.readString()
                case .firstSeen: firstSeen = try reader.readDate()
                case .newIssues: newIssues = try reader.readInt()
                }
            } catch {
                throw error.inside(field)
            }
        }
        self.init(
            release: try reader.required(release, Field.release), firstSeen: try reader.required(firstSeen, Field.firstSeen),
            newIssues: try reader.required(newIssues, Field.newIssues))
    }
}
