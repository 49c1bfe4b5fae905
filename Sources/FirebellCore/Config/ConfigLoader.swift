import Foundation
import Yams

/// Reads `config/firebell.yaml` into a validated ``FirebellConfig``.
///
/// Parsing goes through Yams' node tree, never `Decodable`, so every error
/// carries the line and column of the offending key or value. The whole file
/// is checked in one pass and every problem is reported at once, in file
/// order, each naming the key path and what would be valid.
public enum ConfigLoader {
    /// The top-level sections, in the order the example config uses.
    static let sections = ["server", "storage", "projects", "grouping", "severity", "channels", "routes", "alerting", "otlp"]

    /// Loads and validates the file at `path`.
    ///
    /// A missing or unreadable file is one error at line 0, column 0.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> FirebellConfig {
        func fail(_ message: String) -> ConfigErrors {
            ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail("config file not found (give --config FILE or set FIREBELL_CONFIG)")
        }
        guard !isDirectory.boolValue else { throw fail("is a directory, not a config file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read config file (check its permissions)")
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw fail("config file is not UTF-8 text")
        }
        return try parse(yaml: yaml, path: path, environment: environment)
    }

    /// Validates YAML text; `path` is used only in error locations and ``FirebellConfig/sourcePath``.
    public static func parse(
        yaml: String,
        path: String,
        environment: [String: String]
    ) throws(ConfigErrors) -> FirebellConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigErrors([ConfigReader.syntaxError(error, file: path)])
        }
        let reader = ConfigReader(file: path, environment: environment)
        var config = FirebellConfig(sourcePath: path)
        // An empty file is a valid config: every section takes its default.
        if let root, let top = reader.root(root).mapping(allowed: sections) {
            config.server = ServerSection.decode(top["server"])
            config.storage = StorageSection.decode(top["storage"])
            config.projects = ProjectsSection.decode(top["projects"])
            config.grouping = GroupingSection.decode(top["grouping"])
            config.severity = SeveritySection.decode(top["severity"])
            let channels = ChannelsSection.decode(top["channels"])
            config.channels = channels.channels
            config.routes = RoutesSection.decode(top["routes"], channelNames: channels.names)
            config.alerting = AlertingSection.decode(top["alerting"])
            config.otlp = OTLPSection.decode(top["otlp"])
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(reader.sortedErrors) }
        return config
    }
}
