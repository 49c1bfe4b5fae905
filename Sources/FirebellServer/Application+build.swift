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
/// service group. On shutdown the server stops first (and the OTLP listener, if
/// any), then the writer commits what was queued, then the worker and libcurl stop.
///
/// - Parameter onServerRunning: receives the bound port (tests listen on port 0).
/// - Parameter onOTLPServerRunning: the same for `server.otlp_listen`, when it is set.
public func buildApplication(
    _ firebell: Firebell, registry: PrometheusCollectorRegistry, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onOTLPServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = makeRouter { router in
        IngestController(firebell: firebell).register(on: router)
        AlertmanagerController(firebell: firebell).register(on: router)
        OTLPController(firebell: firebell).register(on: router)
        SentryController(firebell: firebell).register(on: router)
        AdminController(firebell: firebell).register(on: router)
        HealthController(firebell: firebell).register(on: router)
        MetricsController(firebell: firebell, registry: registry).register(on: router)
    }

    let server = firebell.config.server
    var services: [any Service] = [
        firebell.curl,
        firebell.worker,
        RetentionService(firebell: firebell),
        firebell.writer,
        // Last, so it stops first.
        StoreProbe(firebell: firebell),
    ]
    if let otlp = server.otlpListen {
        // After the writer, so it stops (and answers what it took) before the writer does.
        services.append(otlpApplication(firebell, address: otlp, onServerRunning: onOTLPServerRunning))
    }
    return Application(
        router: router,
        server: httpServer(firebell),
        configuration: .init(
            address: .hostname(server.listenHost, port: server.listenPort), serverName: "firebell",
            // Past the cap, connections wait in the listen backlog until one closes.
            availableConnectionsDelegate: MaximumAvailableConnections(server.maxConnections, logger: firebell.logger)),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? server.listenPort) },
        logger: firebell.logger
    )
}

/// `server.otlp_listen`: a second listener with only `/v1/logs` and `/v1/traces` (the
/// same `OTLPController`), for exporters that assume OTLP/HTTP's port 4318.
private func otlpApplication(
    _ firebell: Firebell, address: ListenAddress, onServerRunning: @escaping @Sendable (Int) async -> Void
) -> some Service {
    let router = makeRouter { OTLPController(firebell: firebell).register(on: $0) }
    return Application(
        router: router,
        server: httpServer(firebell),
        configuration: .init(
            address: .hostname(address.host, port: address.port), serverName: "firebell",
            availableConnectionsDelegate: MaximumAvailableConnections(firebell.config.server.maxConnections, logger: firebell.logger)),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? address.port) },
        logger: firebell.logger
    )
}

/// A router with the middleware every listener has, and the routes `register` adds.
private func makeRouter(_ register: (Router<BasicRequestContext>) -> Void) -> Router<BasicRequestContext> {
    let router = Hummingbird.Router(context: BasicRequestContext.self)
    // Browser SDKs post from any origin; preflights are answered here. Outermost, so
    // every answer gets its headers, errors included: the error middleware inside it
    // turns every error into its answer first (Hummingbird's CORS middleware wraps a
    // thrown error in a type that would otherwise lose its status).
    router.add(middleware: CORSMiddleware(
        allowOrigin: .all,
        allowHeaders: [
            .contentType, .authorization, .contentEncoding, SentryAuth.header, OTLPController.keyHeader,
            HTTPField.Name("sentry-trace")!, HTTPField.Name("baggage")!,
            Request.webhookID, Request.webhookTimestamp, Request.webhookSignature,
        ],
        allowMethods: [.get, .post, .options],
        exposedHeaders: ["X-Sentry-Error", "X-Sentry-Rate-Limits", "Retry-After"],
        maxAge: .seconds(3600)))
    router.add(middleware: ErrorMiddleware())
    register(router)
    return router
}

private func httpServer(_ firebell: Firebell) -> HTTPServerBuilder {
    let readTimeout = TimeAmount.nanoseconds(Int64(firebell.config.server.readTimeout * 1_000_000_000))
    // Hummingbird's own idle timeout stays off: `ReadTimeoutHandler` does its job and answers 408.
    return .http1(configuration: .init(additionalChannelHandlers: [ReadTimeoutHandler(timeout: readTimeout)]))
}
