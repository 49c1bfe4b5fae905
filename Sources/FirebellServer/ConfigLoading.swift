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
        let templateErrors = ChannelTemplate.validate(config)
        guard templateErrors.isEmpty else { throw ConfigErrors(templateErrors) }
        return config
    }
}
