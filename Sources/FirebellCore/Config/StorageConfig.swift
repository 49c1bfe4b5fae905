import Foundation

/// Which store backend to open, from `storage.url`.
public enum StorageURL: Sendable, Equatable {
    /// `sqlite:PATH` or `sqlite://PATH`; the path is relative to the working directory.
    case sqlite(path: String)
    /// `postgres://…` or `postgresql://…`, kept whole for the driver to parse.
    case postgres(url: String)

    /// Parses the config spelling; `nil` for any other scheme or an empty path.
    public init?(parsing text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
            return
        }
        for prefix in ["sqlite://", "sqlite:"] where text.hasPrefix(prefix) {
            let path = String(text.dropFirst(prefix.count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
            return
        }
        return nil
    }
}

/// The `storage:` section.
public struct StorageConfig: Sendable, Equatable {
    public var url: StorageURL
    /// How long events and resolved issues are kept.
    public var retention: TimeInterval
    /// Free bytes the disk holding a SQLite store keeps: below it ingest answers 503
    /// before SQLite would fail mid-write (0: no floor).
    public var minFree: Int
    /// PostgreSQL: connections per node at most (`storage.pool_size`).
    public var poolSize: Int
    /// How long a node's claim on a delivery holds before any node may take it (`storage.lease`).
    public var lease: TimeInterval

    public static let defaultURL = StorageURL.sqlite(path: "data/firebell.sqlite")
    public static let defaultRetention: TimeInterval = 14 * 86400
    public static let defaultMinFree = 256 << 20
    public static let defaultPoolSize = 8
    public static let defaultLease: TimeInterval = 30

    public init(
        url: StorageURL = StorageConfig.defaultURL, retention: TimeInterval = StorageConfig.defaultRetention,
        minFree: Int = StorageConfig.defaultMinFree, poolSize: Int = StorageConfig.defaultPoolSize,
        lease: TimeInterval = StorageConfig.defaultLease
    ) {
        self.url = url
        self.retention = retention
        self.minFree = minFree
        self.poolSize = poolSize
        self.lease = lease
    }
}
