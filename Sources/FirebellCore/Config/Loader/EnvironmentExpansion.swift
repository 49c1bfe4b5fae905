import Foundation

/// Scalar text after `${VAR}` / `${VAR:-default}` expansion, remembering
/// which variables were unset so an empty result can say why.
struct ExpandedText {
    var text: String
    /// Variables referenced without a default that the environment lacks.
    var unsetVariables: [String]

    /// " (environment variable X is not set)" when that explains an empty value.
    var unsetHint: String {
        switch unsetVariables.count {
        case 0: ""
        case 1: " (environment variable \(unsetVariables[0]) is not set)"
        default: " (environment variables \(unsetVariables.joined(separator: ", ")) are not set)"
        }
    }
}

/// Expands `${NAME}` and `${NAME:-default}` in scalar values.
///
/// Runs on each scalar after YAML parsing, so error positions stay those of
/// the file as written. Only well-formed references expand (`NAME` is
/// `[A-Za-z_][A-Za-z0-9_]*`); any other `$` is literal, and `$${` writes a
/// literal `${`. An unset variable without a default becomes empty, like a
/// shell; the loader then reports required keys that ended up empty.
enum EnvironmentExpansion {
    static func expand(_ text: String, environment: [String: String]) -> ExpandedText {
        guard text.contains("${") else { return ExpandedText(text: text, unsetVariables: []) }
        var output = ""
        var unset: [String] = []
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                output += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.hasPrefix("{"), let reference = parseReference(afterDollar.dropFirst()) else {
                output += "$"
                rest = afterDollar
                continue
            }
            if let value = environment[reference.name] {
                output += value
            } else if let fallback = reference.fallback {
                output += fallback
            } else {
                unset.append(reference.name)
            }
            rest = reference.rest
        }
        output += rest
        return ExpandedText(text: output, unsetVariables: unset)
    }

    /// Reads `NAME}` or `NAME:-default}` (the text after `${`).
    private static func parseReference(_ text: Substring) -> (name: String, fallback: String?, rest: Substring)? {
        guard let close = text.firstIndex(of: "}") else { return nil }
        let body = text[..<close]
        let rest = text[text.index(after: close)...]
        let name: Substring
        let fallback: String?
        if let separator = body.range(of: ":-") {
            name = body[..<separator.lowerBound]
            fallback = String(body[separator.upperBound...])
        } else {
            name = body
            fallback = nil
        }
        guard isValidName(name) else { return nil }
        return (String(name), fallback, rest)
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
