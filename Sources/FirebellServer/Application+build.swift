// FirebellServer: the HTTP side of the daemon, composed with Hummingbird.
//
// Owns routes, auth, limits, request bodies (decoded by FirebellCompression),
// metrics, health, SIGHUP reload, and the assembly of every service
// (`Firebell`, `buildApplication`, `Daemon`). The work behind a route lives in
// FirebellCore, FirebellStore and FirebellDelivery; which status answers it is
// decided here. It must not import CCurl or CCompression: C stays in
// FirebellCurl and FirebellCompression.

import FirebellCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The HTTP side of Firebell: routes over a `Firebell`, and its services (libcurl
/// loop, outbox worker, ingest writer, retention) run by the application's
/// service group. On shutdown the server stops first, then the writer commits
/// what was queued, then the worker and libcurl stop.
///
/// - Parameter onServerRunning: receives the bound port (tests listen on port 0).
public func buildApplication(
    _ firebell: Firebell, registry: PrometheusCollectorRegistry, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Hummingbird.Router(context: BasicRequestContext.self)
    // Browser SDKs post from any origin; preflights are answered here. Outermost, so
    // every answer gets its headers, errors included: the error middleware inside it
    // turns every error into its answer first (Hummingbird's CORS middleware wraps a
    // thrown error in a type that would otherwise lose its status).
    router.add(middleware: CORSMiddleware(
        allowOrigin: .all,
        allowHeaders: [
            .contentType, .authorization, .contentEncoding, SentryAuth.header,
            HTTPField.Name("sentry-trace")!, HTTPField.Name("baggage")!,
            Request.webhookID, Request.webhookTimestamp, Request.webhookSignature,
        ],
        allowMethods: [.get, .post, .options],
        exposedHeaders: ["X-Sentry-Error", "X-Sentry-Rate-Limits", "Retry-After"],
        maxAge: .seconds(3600)))
    router.add(middleware: ErrorMiddleware())
    IngestController(firebell: firebell).register(on: router)
    AlertmanagerController(firebell: firebell).register(on: router)
    SentryController(firebell: firebell).register(on: router)
    AdminController(firebell: firebell).register(on: router)
    HealthController(firebell: firebell).register(on: router)
    MetricsController(firebell: firebell, registry: registry).register(on: router)

    let server = firebell.config.server
    let readTimeout = TimeAmount.nanoseconds(Int64(server.readTimeout * 1_000_000_000))
    return Application(
        router: router,
        // Hummingbird's own idle timeout stays off: `ReadTimeoutHandler` does its job and answers 408.
        server: .http1(configuration: .init(additionalChannelHandlers: [ReadTimeoutHandler(timeout: readTimeout)])),
        configuration: .init(
            address: .hostname(server.listenHost, port: server.listenPort), serverName: "firebell",
            // Past the cap, connections wait in the listen backlog until one closes.
            availableConnectionsDelegate: MaximumAvailableConnections(server.maxConnections, logger: firebell.logger)),
        services: [
            firebell.curl,
            firebell.worker,
            RetentionService(firebell: firebell),
            firebell.writer,
            // Last, so it stops first.
            StoreProbe(firebell: firebell),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? server.listenPort) },
        logger: firebell.logger
    )
}
