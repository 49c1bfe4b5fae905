import Foundation

/// Decodes `storage:`.
enum StorageSection {
    static let keys = ["url", "retention", "min_free", "pool_size", "lease"]

    static func decode(_ value: ConfigValue?) -> StorageConfig {
        var storage = StorageConfig()
        guard let map = value?.mapping(allowed: keys) else { return storage }
        if let url = map["url"]?.parsed(
            as: "a storage URL",
            hint: "use sqlite:PATH or postgres://user:pass@host/db",
            StorageURL.init(parsing:)
        ) {
            storage.url = url
        }
        if let retention = map["retention"]?.positiveDuration() {
            storage.retention = retention
        }
        if let minFree = map["min_free"]?.byteSize() {
            storage.minFree = minFree
        }
        if let count = map["pool_size"]?.int() {
            if count > 0 {
                storage.poolSize = count
            } else {
                map["pool_size"]?.fail("must be at least 1 (PostgreSQL connections per node, default \(StorageConfig.defaultPoolSize))")
            }
        }
        if let lease = map["lease"]?.positiveDuration() {
            storage.lease = lease
        }
        return storage
    }
}
