// The keys follow the synthesized `Encodable` conformance in AlertLink.swift.

extension AlertLink: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("title", title)
        writer.field("url", url)
        writer.endObject()
    }
}

extension AlertLink: JSONReadable {
    private enum Field: Int, JSONField {
        case title, url
        static let names: [StaticString] = ["title", "url"]
    }

    /// Refused, as `init(from:)` refuses it, unless the URL is an http(s) URL.
    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var title: String?, url: String?
        var fields = try reader.beginObject(Field.self)
        while let field = try reader.nextField(&fields) {
            do throws(JSONReader.Failure) {
                guard try !reader.skipNull() else { continue }
                switch field {
                case .title: title = try reader.readString()
                case .url: url = try reader.readString()
                }
            } catch {
                throw error.inside(field)
            }
        }
        let checkedTitle = try reader.required(title, Field.title)
        guard let link = AlertLink(title: checkedTitle, url: try reader.required(url, Field.url)) else {
            throw reader.failure("not an http or https URL in the object that ends").inside(Field.url)
        }
        self = link
    }
}

extension JSONReader {
    /// An array of links (`Issue.links`, `Alert.links`); a failure names the element's index.
    mutating func readLinks() throws(Failure) -> [AlertLink] {
        guard try peek() == .array else { throw failure("expected an array") }
        var links: [AlertLink] = []
        try beginArray()
        while try nextElement() {
            do throws(Failure) {
                links.append(try AlertLink(reading: &self))
            } catch {
                throw error.inside(.index(links.count))
            }
        }
        return links
    }
}
