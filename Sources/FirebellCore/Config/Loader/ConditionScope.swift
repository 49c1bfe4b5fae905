import Foundation

/// Where a `when` appears, which decides what it may test: issue state
/// exists only while scoring, and severity only once scoring is done.
enum ConditionScope {
    case severityRule, groupingRule, route

    var allowsStateful: Bool { self == .severityRule }
    var allowsSeverity: Bool { self == .route }

    var label: String {
        switch self {
        case .severityRule: "severity rules"
        case .groupingRule: "grouping rules"
        case .route: "routes"
        }
    }

    static let statefulKeys = ["new_issue", "regression", "events_in", "users_in"]

    /// What a `when` key may be here, for "unknown field" messages.
    var validKeys: [String] {
        var keys = Field.named.map(\.name).filter { $0 != "severity" }
        keys.insert("tags.<name>", at: keys.firstIndex(of: "user.id")!)
        if allowsSeverity { keys.append("severity") }
        if allowsStateful { keys += Self.statefulKeys }
        return keys
    }
}
