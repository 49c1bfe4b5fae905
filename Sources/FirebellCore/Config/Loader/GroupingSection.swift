import Foundation

/// Decodes `grouping:` (fingerprint rules).
enum GroupingSection {
    static let ruleKeys = ["when", "fingerprint"]

    static func decode(_ value: ConfigValue?) -> [GroupingRule] {
        (value?.sequence() ?? []).compactMap { item in
            guard let map = item.mapping(allowed: ruleKeys) else { return nil }
            let when = ConditionDecoder.decode(map["when"], scope: .groupingRule)
            let hint = "a list of parts, e.g. fingerprint: [\"timeout\", \"{{ tags.upstream }}\"]"
            guard let partsValue = map.required("fingerprint", hint),
                  let parts = partsValue.textList()
            else { return nil }
            if parts.isEmpty {
                partsValue.fail("must list at least one part (\(hint))")
                return nil
            }
            return GroupingRule(when: when, fingerprint: parts)
        }
    }
}
