import ArgumentParser
import FirebellCore
import FirebellServer
import Foundation
import Logging
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["FIREBELL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return LazyMetadataLogHandler(handler)
        }
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "firebell")
        try await failing {
            try await Daemon.run(config: config, configPath: options.path, registry: registry, metrics: factory, logger: logger)
        }
    }
}
