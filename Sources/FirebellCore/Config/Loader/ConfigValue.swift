import Foundation
import Yams

/// A node of the config tree together with the key path that reached it
/// (`severity.rules[1].when`), so every error can name both place and key.
///
/// Accessors report a located error and return `nil` when the value is of
/// the wrong shape; callers just skip what they could not read and go on,
/// which is how one pass finds every error.
struct ConfigValue {
    let node: Node
    let path: String
    let reader: ConfigReader

    var mark: Mark? { node.mark }

    /// Reports `path: message` at this node.
    func fail(_ message: String) {
        reader.report(at: mark, path.isEmpty ? message : "\(path): \(message)")
    }

    /// `key: ~`, `key: null` or `key:` with nothing after it.
    var isNull: Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func child(_ key: String, _ node: Node) -> ConfigValue {
        ConfigValue(node: node, path: path.isEmpty ? key : "\(path).\(key)", reader: reader)
    }

    /// Names the node's shape for "expected X, got Y" messages.
    var shapeDescription: String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let scalar): "'\(scalar.string)'"
        case .alias: "an alias"
        }
    }

    // MARK: Containers

    /// The entries of a mapping; reports keys not in `allowed`. A null value
    /// counts as an empty mapping so `server:` alone means "all defaults".
    func mapping(allowed: [String]? = nil, noun: String = "key", validLabel: String = "valid") -> ConfigMapping? {
        if isNull { return ConfigMapping(value: self, entries: []) }
        guard case .mapping(let mapping) = node else {
            fail("expected a mapping, got \(shapeDescription)")
            return nil
        }
        var entries: [ConfigMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.scalar?.string else {
                reader.report(at: keyNode.mark, "\(path.isEmpty ? "top level" : path): keys must be plain names")
                continue
            }
            entries.append(.init(key: key, keyMark: keyNode.mark, value: child(key, valueNode)))
        }
        let all = ConfigMapping(value: self, entries: entries)
        guard let allowed else { return all }
        return all.restricted(to: allowed, noun: noun, validLabel: validLabel)
    }

    /// The items of a list, each with its `[i]` path. Null counts as empty.
    func sequence() -> [ConfigValue]? {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else {
            fail("expected a list, got \(shapeDescription)")
            return nil
        }
        return sequence.enumerated().map { index, node in
            ConfigValue(node: node, path: "\(path)[\(index)]", reader: reader)
        }
    }

    /// A list, or a single scalar taken as a one-item list (`to: a@b.c`).
    func scalarOrSequence() -> [ConfigValue]? {
        if node.scalar != nil, !isNull { return [self] }
        return sequence()
    }
}
