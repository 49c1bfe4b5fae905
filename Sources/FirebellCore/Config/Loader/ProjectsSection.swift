import Foundation

/// Decodes `projects:`; ids and keys must each identify one project.
enum ProjectsSection {
    static let keys = ["id", "name", "keys", "rate_limit", "signing_secret"]

    static func decode(_ value: ConfigValue?) -> [ProjectConfig] {
        guard let items = value?.sequence() else { return [] }
        var projects: [ProjectConfig] = []
        var idOwners: [Int: String] = [:]
        var keyOwners: [String: String] = [:]
        for item in items {
            guard let map = item.mapping(allowed: keys) else { continue }
            var id: Int?
            if let idValue = map.required("id", "the number in a Sentry DSN, e.g. id: 1"), let number = idValue.int() {
                if number < 1 {
                    idValue.fail("must be a positive integer, got \(number)")
                } else if let owner = idOwners[number] {
                    idValue.fail("duplicate project id \(number) (also \(owner))")
                } else {
                    idOwners[number] = item.path
                    id = number
                }
            }
            let name = map["name"]?.requiredText()
            var projectKeys: [String] = []
            if let keysValue = map.required("keys", "a list of DSN public keys / bearer tokens"),
               let keyItems = keysValue.scalarOrSequence() {
                if keyItems.isEmpty { keysValue.fail("must list at least one key") }
                for key in keyItems {
                    guard let text = key.requiredText() else { continue }
                    if let owner = keyOwners[text] {
                        key.fail("key '\(text)' is already used by \(owner) (a key identifies one project)")
                    } else {
                        keyOwners[text] = item.path
                        projectKeys.append(text)
                    }
                }
            }
            let rateLimit = map["rate_limit"]?.rate()
            let secret = map["signing_secret"]?.text()
            guard let id else { continue }
            projects.append(ProjectConfig(
                id: id, name: name ?? String(id), keys: projectKeys, rateLimit: rateLimit, signingSecret: secret
            ))
        }
        return projects
    }
}
