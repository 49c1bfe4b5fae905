import Foundation

/// The `server:` section: where the daemon listens and how it links to itself.
public struct ServerConfig: Sendable, Equatable {
    /// Host part of `listen`, without IPv6 brackets (`::1`, not `[::1]`).
    public var listenHost: String
    public var listenPort: Int
    /// Prefix for links inside alerts, without a trailing slash.
    public var baseURL: String
    /// Bearer token for the admin API; `nil` when unset or empty, which disables it.
    public var adminToken: String?
    /// Largest accepted request body in bytes, checked after decompression too.
    public var maxBody: Int
    /// The longest a client may take to send a request's headers, or stay silent in the
    /// middle of its body, before it gets 408 and the connection closes; also how long an
    /// idle keep-alive connection stays open. Seconds.
    public var readTimeout: TimeInterval
    /// Connections served at once; more wait in the listen backlog until one closes.
    public var maxConnections: Int
    /// `otlp_listen`: a second address serving only OTLP's `/v1/logs` and `/v1/traces`
    /// (the conventional `…:4318`); nil serves them on `listen` alone.
    public var otlpListen: ListenAddress?

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8470
    public static let defaultMaxBody = 1 << 20
    public static let defaultReadTimeout: TimeInterval = 30
    public static let defaultMaxConnections = 1024

    public init(
        listenHost: String = ServerConfig.defaultHost,
        listenPort: Int = ServerConfig.defaultPort,
        baseURL: String? = nil,
        adminToken: String? = nil,
        maxBody: Int = ServerConfig.defaultMaxBody,
        readTimeout: TimeInterval = ServerConfig.defaultReadTimeout,
        maxConnections: Int = ServerConfig.defaultMaxConnections,
        otlpListen: ListenAddress? = nil
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.baseURL = baseURL ?? "http://\(ServerConfig.hostPort(listenHost, listenPort))"
        self.adminToken = adminToken
        self.maxBody = maxBody
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
        self.otlpListen = otlpListen
    }

    /// `host:port`, bracketing an IPv6 host so the port stays unambiguous.
    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A `host:port` to listen on, host without IPv6 brackets.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
