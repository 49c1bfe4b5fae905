import Foundation

/// Compiles `matches` patterns once, at load, with an error a person can act on.
enum RegexCompiler {
    static func compile(_ pattern: String, at value: ConfigValue) -> NSRegularExpression? {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            value.fail("invalid regular expression '\(pattern)': \(reason(pattern))")
            return nil
        }
    }

    /// Foundation's error says only "the value is invalid" on Linux; Swift's
    /// own regex parser names the problem ("expected ')'"). The two syntaxes
    /// differ at the edges, so fall back to a generic reason when it accepts.
    private static func reason(_ pattern: String) -> String {
        do {
            _ = try Regex(pattern)
            return "not valid ICU regular expression syntax"
        } catch {
            return String(describing: error)
        }
    }
}
