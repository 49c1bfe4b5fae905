import Foundation

/// Decodes `storage:`.
enum StorageSection {
    static let keys = ["url", "retention", "min_free"]

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
        return storage
    }
}
