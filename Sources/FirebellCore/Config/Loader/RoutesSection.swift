import Foundation

/// Decodes `routes:`; every channel a route names must be defined.
enum RoutesSection {
    static let keys = ["when", "notify", "digest"]

    static func decode(_ value: ConfigValue?, channelNames: [String]) -> [Route] {
        let defined = channelNames.isEmpty ? "none" : channelNames.joined(separator: ", ")
        return (value?.sequence() ?? []).compactMap { item in
            guard let map = item.mapping(allowed: keys) else { return nil }
            let when = ConditionDecoder.decode(map["when"], scope: .route)
            let digest = map["digest"]?.positiveDuration()
            guard let notifyValue = map.required("notify", "a list of channel names (defined: \(defined))"),
                  let names = notifyValue.scalarOrSequence()
            else { return nil }
            if names.isEmpty {
                notifyValue.fail("must name at least one channel (defined: \(defined))")
            }
            var notify: [String] = []
            for nameValue in names {
                guard let name = nameValue.requiredText() else { continue }
                guard channelNames.contains(name) else {
                    // Report at the item but name the list, which is what the operator edits.
                    nameValue.reader.report(
                        at: nameValue.mark,
                        "\(notifyValue.path): unknown channel '\(name)' (defined: \(defined))"
                    )
                    continue
                }
                notify.append(name)
            }
            return Route(when: when, notify: notify, digest: digest)
        }
    }
}
