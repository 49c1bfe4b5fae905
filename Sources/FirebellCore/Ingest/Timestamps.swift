import Foundation

/// Timestamps as reporters send them: RFC 3339 (with or without fraction or zone) or Unix seconds.
public enum Timestamps {
    public static func parse(_ text: String) -> Date? {
        if let seconds = Double(text), seconds.isFinite {
            return Date(timeIntervalSince1970: seconds)
        }
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? style.parse(text) { return date }
        style = Date.ISO8601FormatStyle()
        if let date = try? style.parse(text) { return date }
        // Sentry SDKs send naive UTC timestamps without a zone.
        if !text.hasSuffix("Z"), !text.contains("+"), text.count >= 19 {
            return parse(text + "Z")
        }
        return nil
    }

    /// RFC 3339 in UTC with seconds, for alert text and the API.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
