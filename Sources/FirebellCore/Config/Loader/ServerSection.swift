import Foundation

/// Decodes `server:`.
enum ServerSection {
    static let keys = ["listen", "base_url", "admin_token", "max_body", "read_timeout", "max_connections", "otlp_listen"]
    static let listenHint = "use host:port, e.g. 127.0.0.1:8470 or 0.0.0.0:8470"

    static func decode(_ value: ConfigValue?) -> ServerConfig {
        var server = ServerConfig()
        guard let map = value?.mapping(allowed: keys) else { return server }
        if let listen = map["listen"]?.parsed(as: "host:port", hint: listenHint, parseListen) {
            server = ServerConfig(listenHost: listen.host, listenPort: listen.port)
        }
        if let baseURL = map["base_url"] {
            if let text = baseURL.requiredText() {
                if text.hasPrefix("http://") || text.hasPrefix("https://") {
                    // Links are built as base_url + "/issues/…"; a trailing slash would double up.
                    server.baseURL = String(text.reversed().drop { $0 == "/" }.reversed())
                } else {
                    baseURL.fail("'\(text)' is not an http:// or https:// URL")
                }
            }
        }
        server.adminToken = map["admin_token"]?.text()
        if let size = map["max_body"]?.byteSize() {
            if size > 0 {
                server.maxBody = size
            } else {
                map["max_body"]?.fail("must be more than 0 bytes (\(ConfigValue.sizeHint))")
            }
        }
        if let seconds = map["read_timeout"]?.positiveDuration() {
            server.readTimeout = seconds
        }
        if let count = map["max_connections"]?.int() {
            if count > 0 {
                server.maxConnections = count
            } else {
                map["max_connections"]?.fail("must be at least 1 (the number of connections served at once, default \(ServerConfig.defaultMaxConnections))")
            }
        }
        if let otlp = map["otlp_listen"], let text = otlp.text() {
            if let address = parseListen(text) {
                if address.port != 0, (address.host, address.port) == (server.listenHost, server.listenPort) {
                    otlp.fail("'\(text)' is server.listen itself, which serves /v1/logs and /v1/traces already; use another port (OTLP's is 4318) or leave it out")
                } else {
                    server.otlpListen = ListenAddress(host: address.host, port: address.port)
                }
            } else {
                otlp.fail("'\(text)' is not host:port (use e.g. 127.0.0.1:4318, OTLP/HTTP's port)")
            }
        }
        return server
    }

    /// `host:port` or `[v6]:port`, port 0–65535 (0 lets the OS pick, for tests).
    static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = Int(portText), port <= 65535
        else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            // An unbracketed IPv6 address makes the port ambiguous.
            return nil
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else { return nil }
        return (host, port)
    }
}
