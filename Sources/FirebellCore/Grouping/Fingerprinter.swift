import Foundation

/// The grouping key of an event and how it was chosen.
public struct Fingerprint: Sendable, Equatable {
    /// The parts that were hashed, for `test-rules` to show.
    public var components: [String]
    /// Which rule chose the parts: "event", "grouping[N]", "stacktrace", "exception", "message".
    public var source: String
    /// 32 hex characters; the issue key within a project.
    public var hash: String
}

/// Turns an event into its issue key.
///
/// First that applies wins: the event's own `fingerprint` (with `{{ default }}`
/// expanded) → the config's grouping rules → exception type + in-app frames
/// (module, function, filename; never line numbers, which move on every deploy)
/// → exception type + parameterized value → parameterized message.
public struct Fingerprinter: Sendable {
    private let rules: [GroupingRule]

    public init(rules: [GroupingRule]) {
        self.rules = rules
    }

    public func fingerprint(_ event: Event) -> Fingerprint {
        let (components, source) = choose(event)
        return Fingerprint(components: components, source: source, hash: Self.hash(components))
    }

    /// The first of the config's grouping rules that applies to `event`, if any.
    public func rule(for event: Event) -> Int? {
        let context = RuleContext(event: event)
        return rules.firstIndex { $0.when.evaluate(context) }
    }

    private func choose(_ event: Event) -> ([String], String) {
        if let own = event.fingerprint, !own.isEmpty {
            return (expand(own, event), "event")
        }
        let context = RuleContext(event: event)
        for (index, rule) in rules.enumerated() where rule.when.evaluate(context) {
            return (expand(rule.fingerprint, event), "grouping[\(index)]")
        }
        return Self.defaultComponents(event)
    }

    /// The built-in grouping (what `{{ default }}` stands for).
    public static func defaultComponents(_ event: Event) -> ([String], String) {
        if let exception = event.exception {
            let type = exception.type ?? "Error"
            let frames = exception.stacktrace.filter { $0.inApp == true }
            if !frames.isEmpty {
                let parts = frames.map { frame in
                    [frame.module ?? "", frame.function ?? "", frame.filename ?? ""].joined(separator: "|")
                }
                return (["type:" + type] + parts, "stacktrace")
            }
            let value = Parameterizer.parameterize(exception.value ?? event.message ?? "")
            return (["type:" + type, "value:" + value], "exception")
        }
        return (["message:" + Parameterizer.parameterize(event.message ?? "")], "message")
    }

    /// Expands `{{ default }}` and `{{ field }}` placeholders in fingerprint parts.
    private func expand(_ parts: [String], _ event: Event) -> [String] {
        parts.flatMap { part -> [String] in
            guard let name = Self.placeholder(part) else { return [part] }
            if name == "default" { return Self.defaultComponents(event).0 }
            return [Self.value(of: name, in: event) ?? ""]
        }
    }

    /// "{{ tags.upstream }}" → "tags.upstream"; anything else → nil.
    private static func placeholder(_ part: String) -> String? {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.count >= 4 else { return nil }
        return String(trimmed.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
    }

    private static func value(of name: String, in event: Event) -> String? {
        switch name {
        case "message": event.message
        case "level": event.level.rawValue
        case "environment": event.environment
        case "service": event.service
        case "release": event.release
        case "platform": event.platform
        case "url": event.url
        case "user.id": event.user?.id
        case "exception.type", "type": event.exception?.type
        case "exception.value", "value": event.exception?.value
        default:
            name.hasPrefix("tags.") ? event.tags[String(name.dropFirst(5))] : nil
        }
    }

    /// 128-bit FNV-1a (two 64-bit lanes with distinct offsets) over the parts, separated
    /// by a unit separator so ["ab","c"] and ["a","bc"] differ. Stable across runs and
    /// platforms, unlike `Hasher`.
    static func hash(_ components: [String]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        let prime: UInt64 = 0x0000_0100_0000_01b3
        for (index, component) in components.enumerated() {
            if index > 0 {
                a = (a ^ 0x1f) &* prime
                b = (b ^ 0x1f) &* prime
            }
            for byte in component.utf8 {
                a = (a ^ UInt64(byte)) &* prime
                b = (b ^ UInt64(byte ^ 0xa5)) &* prime
            }
        }
        return hex(a) + hex(b)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
