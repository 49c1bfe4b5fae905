import Foundation

/// A rule's `when`, decoded once at load into data and evaluated by one function.
public indirect enum Condition: Sendable {
    /// No `when` (or an empty one): always holds.
    case always
    /// Several keys in one `when`: all must hold.
    case all([Condition])
    case field(Field, FieldTest)
    case newIssue(Bool)
    case regression(Bool)
    /// Holds when the issue has more than `over` events in the window.
    case eventsIn(window: TimeInterval, over: Int)
    /// Holds when more than `over` distinct users hit the issue in the window.
    case usersIn(window: TimeInterval, over: Int)

    /// Whether the condition holds for this event and issue state.
    public func evaluate(_ context: RuleContext) -> Bool {
        switch self {
        case .always:
            return true
        case .all(let conditions):
            return conditions.allSatisfy { $0.evaluate(context) }
        case .field(let field, let test):
            return test.evaluate(field.value(in: context))
        case .newIssue(let expected):
            return context.isNewIssue == expected
        case .regression(let expected):
            return context.isRegression == expected
        case .eventsIn(let window, let over):
            return context.events(in: window) > over
        case .usersIn(let window, let over):
            return context.users(in: window) > over
        }
    }

    /// `events_in` windows and thresholds anywhere inside this condition.
    public var eventThresholds: [(window: TimeInterval, over: Int)] {
        switch self {
        case .eventsIn(let window, let over): [(window, over)]
        case .all(let conditions): conditions.flatMap(\.eventThresholds)
        default: []
        }
    }

    /// `users_in` windows and thresholds anywhere inside this condition.
    public var userThresholds: [(window: TimeInterval, over: Int)] {
        switch self {
        case .usersIn(let window, let over): [(window, over)]
        case .all(let conditions): conditions.flatMap(\.userThresholds)
        default: []
        }
    }

    /// `events_in` windows anywhere inside this condition.
    public var eventWindows: [TimeInterval] { eventThresholds.map(\.window) }

    /// `users_in` windows anywhere inside this condition.
    public var userWindows: [TimeInterval] { userThresholds.map(\.window) }
}
