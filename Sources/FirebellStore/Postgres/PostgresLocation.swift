import Foundation
import PostgresNIO

/// Where a PostgreSQL store lives, from `storage.url`:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable|prefer|require|verify-full`
/// (`postgresql://` alike). User and password may be percent-encoded; the port
/// defaults to 5432, the database to the user's name (as libpq does), `sslmode` to
/// `prefer`. `require` encrypts without checking the server's certificate (libpq's
/// meaning); `verify-full` checks it and the host name against the system's trust roots.
public struct PostgresLocation: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, sslMode: SSLMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses the URL; the error names what is wrong and what would be valid.
    public init(url text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let url = URLComponents(string: text) else {
            throw StoreError("storage.url: not a PostgreSQL URL (postgres://user:password@host:port/database)")
        }
        guard let host = url.host, !host.isEmpty else {
            throw StoreError("storage.url: no host (postgres://user:password@host:port/database)")
        }
        guard let user = url.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw StoreError("storage.url: no user (postgres://user:password@host:port/database)")
        }
        let path = url.percentEncodedPath.removingPercentEncoding ?? ""
        let database = path.hasPrefix("/") ? String(path.dropFirst()) : path
        var mode = SSLMode.prefer
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreError("storage.url: unknown parameter '\(item.name)' (only sslmode is read)")
            }
            guard let value = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw StoreError(
                    "storage.url: sslmode '\(item.value ?? "")' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = value
        }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: url.port ?? 5432, user: user,
            password: url.percentEncodedPassword?.removingPercentEncoding, database: database.isEmpty ? user : database,
            sslMode: mode)
    }

    /// The client configuration with `poolSize` connections at most.
    func clientConfiguration(poolSize: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = max(poolSize, 1)
        return configuration
    }

    private var tls: PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            // libpq's prefer and require encrypt but do not check who answers.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return sslMode == .prefer ? .prefer(tls) : .require(tls)
        case .verifyFull:
            return .require(TLSConfiguration.makeClientConfiguration())
        }
    }
}
