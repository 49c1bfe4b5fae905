import FirebellCore
import FirebellStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `firebell serve`: open the store, start every service, reload on SIGHUP, stop on
/// SIGTERM/SIGINT (the services in reverse order, then this node's claims are released).
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
        await releaseClaims(of: store, logger: logger)
        try await store.close()
    }

    /// The graceful stop's last step, once every service has stopped: the deliveries in
    /// flight have ended and their outcomes are written, so what this node still holds
    /// claimed (rows a commit claimed that it never started, outcomes it could not write)
    /// is due at once for the other nodes, instead of after the lease. Other nodes'
    /// claims stay theirs (`Store.releaseClaims(now:)`). If the store cannot be reached,
    /// the rows come back when their lease ends, as after a crash.
    static func releaseClaims(of store: any Store, logger: Logger) async {
        do {
            let released = try await store.releaseClaims(now: Date())
            if released > 0 {
                logger.notice("released the deliveries this node still held claimed", metadata: ["outbox.released": "\(released)"])
            }
        } catch {
            logger.warning(
                "could not release this node's claimed deliveries; other nodes take them when their lease ends",
                metadata: ["error": "\(error)"])
        }
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
