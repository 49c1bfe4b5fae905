import Foundation

/// One problem in a config file, located for `check-config`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file's path as given to the loader.
    public var file: String
    /// 1-based; 0 when the problem is the file as a whole (missing, unreadable).
    public var line: Int
    /// 1-based, counted in Unicode scalars; 0 with `line` 0.
    public var column: Int
    /// One line: the key path, what is wrong and what would be valid.
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message`, the shape editors and CI annotate.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in one pass over a config file, sorted by position.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
