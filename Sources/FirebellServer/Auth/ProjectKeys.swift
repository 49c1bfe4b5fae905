import FirebellCore
import FirebellSignatures

/// Finds the project a key belongs to, comparing keys in constant time so response
/// timing does not leak how much of a guessed key was right.
struct ProjectKeys: Sendable {
    private let entries: [(key: [UInt8], project: ProjectConfig)]

    init(projects: [ProjectConfig]) {
        entries = projects.flatMap { project in project.keys.map { (Array($0.utf8), project) } }
    }

    func project(forKey key: String) -> ProjectConfig? {
        let candidate = Array(key.utf8)
        var found: ProjectConfig?
        // Every key is compared, match or not.
        for entry in entries where StandardWebhooks.constantTimeEquals(entry.key, candidate) {
            found = found ?? entry.project
        }
        return found
    }
}
