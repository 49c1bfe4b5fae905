import FirebellCore
import FirebellDelivery
import Foundation

extension Firebell {
    /// Loads and fully validates a config: the YAML and rules (Core), plus what only
    /// the delivery layer can check (channel templates compile). Every command and
    /// SIGHUP reload go through here.
    public static func loadConfig(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> FirebellConfig {
        let config = try ConfigLoader.load(path: path, environment: environment)
        let errors = ChannelTemplate.validate(config) + ChannelRegistry.validate(config)
        guard errors.isEmpty else { throw ConfigErrors(errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }) }
        return config
    }
}
