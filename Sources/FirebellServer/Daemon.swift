import FirebellCore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `firebell serve`: open the store, start every service, reload on SIGHUP, stop on SIGTERM/SIGINT.
public enum Daemon {
    public static func run(
        config: FirebellConfig, configPath: String, registry: PrometheusCollectorRegistry, metrics: any MetricsFactory,
        logger: Logger
    ) async throws {
        let store = try await Firebell.openStore(config.storage, node: Firebell.nodeName(listenPort: config.server.listenPort), logger: logger)
        // Claims this node's crashed run left are due now (other nodes' are theirs).
        let released = try await store.releaseClaims(now: Date())
        if released > 0 {
            logger.notice("re-queued deliveries interrupted by the last shutdown", metadata: ["outbox.released": "\(released)"])
        }
        let firebell = Firebell(config: config, store: store, logger: logger, metrics: metrics)
        let app = buildApplication(firebell, registry: registry) { port in
            logger.info("firebell listening", metadata: [
                "server.address": "\(config.server.listenHost):\(port)", "config.file": "\(configPath)",
            ])
        } onOTLPServerRunning: { port in
            logger.info("firebell listening for OTLP", metadata: [
                "server.address": "\(config.server.otlpListen?.host ?? ""):\(port)",
            ])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: ReloadOnHangup(firebell: firebell, path: configPath))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        try await store.close()
    }
}

/// SIGHUP: load the config again; if it is valid, put it in force for the next
/// event, without dropping any (the writer takes the new rules between batches).
/// An invalid file is logged and the running config stays.
struct ReloadOnHangup: Service {
    let firebell: Firebell
    let path: String

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let config = try Firebell.loadConfig(path: path)
                let old = firebell.config.server
                if (config.server.listenHost, config.server.listenPort) != (old.listenHost, old.listenPort) {
                    firebell.logger.warning("server.listen changed; it takes effect on restart")
                }
                if config.server.otlpListen != old.otlpListen {
                    firebell.logger.warning("server.otlp_listen changed; it takes effect on restart")
                }
                if (config.server.readTimeout, config.server.maxConnections) != (old.readTimeout, old.maxConnections) {
                    firebell.logger.warning("server.read_timeout or server.max_connections changed; they take effect on restart")
                }
                firebell.reload(config)
                firebell.logger.info("config reloaded", metadata: ["config.file": "\(path)"])
            } catch {
                firebell.logger.error("config reload failed; keeping the running config", metadata: ["error": "\(error.description)"])
            }
        }
    }
}
