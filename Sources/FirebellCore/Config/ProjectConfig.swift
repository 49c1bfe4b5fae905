import Foundation

/// One entry of `projects:`: an application that may send events.
public struct ProjectConfig: Sendable, Equatable {
    /// The number in a Sentry DSN (`http://<key>@host/<id>`).
    public var id: Int
    /// Shown in alerts and subjects; defaults to the id when the config omits it.
    public var name: String
    /// DSN public keys / bearer tokens; each belongs to exactly one project.
    public var keys: [String]
    /// Ingest limit; past it the project gets 429.
    public var rateLimit: Rate?
    /// When set, requests must carry a valid Standard Webhooks signature.
    public var signingSecret: String?

    public init(id: Int, name: String, keys: [String], rateLimit: Rate? = nil, signingSecret: String? = nil) {
        self.id = id
        self.name = name
        self.keys = keys
        self.rateLimit = rateLimit
        self.signingSecret = signingSecret
    }
}
