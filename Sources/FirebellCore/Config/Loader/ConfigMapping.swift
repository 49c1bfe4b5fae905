import Foundation
import Yams

/// A mapping's entries in file order, looked up by key.
struct ConfigMapping {
    struct Entry {
        let key: String
        let keyMark: Mark?
        let value: ConfigValue
    }

    let value: ConfigValue
    let entries: [Entry]

    var path: String { value.path }

    /// The value under `key`, `nil` when absent or null.
    subscript(key: String) -> ConfigValue? {
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry.value
    }

    func has(_ key: String) -> Bool { self[key] != nil }

    /// The value under `key`, or an error at the mapping saying it is missing.
    func required(_ key: String, _ hint: String) -> ConfigValue? {
        if let value = self[key] { return value }
        if let entry = entries.first(where: { $0.key == key }) {
            entry.value.fail("is empty (\(hint))")
        } else {
            value.fail("missing '\(key)' (\(hint))")
        }
        return nil
    }

    /// Text under `key` that, when the key is written at all, must not be
    /// empty: `url:` alone or an unset `${VAR}` is an error, not "absent".
    func nonEmptyText(_ key: String) -> String? {
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if entry.value.isNull {
            entry.value.fail("is empty")
            return nil
        }
        return entry.value.requiredText()
    }

    /// Drops and reports entries whose key is not in `allowed`, e.g.
    /// "unknown key 'listn' in server (valid: listen, base_url, …)".
    func restricted(to allowed: [String], noun: String = "key", validLabel: String = "valid") -> ConfigMapping {
        let place = path.isEmpty ? "at top level" : "in \(path)"
        let known = entries.filter { entry in
            guard !allowed.contains(entry.key) else { return true }
            value.reader.report(
                at: entry.keyMark,
                "unknown \(noun) '\(entry.key)' \(place) (\(validLabel): \(allowed.joined(separator: ", ")))"
            )
            return false
        }
        return ConfigMapping(value: value, entries: known)
    }
}
