import Foundation
import Yams

/// Collects every problem found while walking one config file, so
/// `check-config` can report them all at once instead of one per run.
final class ConfigReader {
    let file: String
    let environment: [String: String]
    private(set) var errors: [ConfigError] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func report(at mark: Mark?, _ message: String) {
        errors.append(ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    /// Errors in file order; a stable sort keeps same-position errors in walk order.
    var sortedErrors: [ConfigError] {
        errors.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// The root of the document as a ``ConfigValue`` with an empty path.
    func root(_ node: Node) -> ConfigValue {
        ConfigValue(node: node, path: "", reader: self)
    }

    /// Turns a Yams parse failure into one located error.
    static func syntaxError(_ error: Error, file: String) -> ConfigError {
        func located(_ mark: Mark, _ message: String) -> ConfigError {
            ConfigError(file: file, line: mark.line, column: mark.column, message: message)
        }
        guard let yamlError = error as? YamlError else {
            return ConfigError(file: file, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return located(mark, "invalid YAML: \(problem)\(while_)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located(context.mark, "key \(keys) appears more than once in one mapping (each key may appear once)")
        case .reader(let problem, _, _, _):
            return ConfigError(file: file, line: 0, column: 0, message: "invalid YAML: \(problem)")
        default:
            return ConfigError(file: file, line: 0, column: 0, message: "invalid YAML: \(yamlError)")
        }
    }
}
