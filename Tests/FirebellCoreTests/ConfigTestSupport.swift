import Foundation
import Testing
@testable import FirebellCore

/// Helpers shared by the config and rules tests.
enum ConfigFixture {
    static let path = "config/firebell.yaml"

    /// Parses YAML that must be valid; a failure records every error.
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> FirebellConfig {
        do {
            return try ConfigLoader.parse(yaml: yaml, path: path, environment: environment)
        } catch {
            Testing.Issue.record("unexpected config errors:\n\(error)")
            throw error
        }
    }

    /// Parses YAML that must be invalid and returns its errors.
    static func errors(_ yaml: String, environment: [String: String] = [:]) -> [ConfigError] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, path: path, environment: environment)
            Testing.Issue.record("expected config errors, but the config loaded")
            return []
        } catch {
            return error.errors
        }
    }

    /// The only error of an invalid config (records an issue when there are several).
    static func error(_ yaml: String, environment: [String: String] = [:]) -> ConfigError? {
        let all = errors(yaml, environment: environment)
        if all.count != 1 { Testing.Issue.record("expected exactly one error, got:\n\(ConfigErrors(all))") }
        return all.first
    }

    static func event(
        level: Level = .error,
        message: String? = "Payment failed for order 1231",
        environment: String? = "production",
        tags: [String: String] = [:],
        exception: ExceptionInfo? = nil,
        user: User? = nil,
        url: String? = nil
    ) -> Event {
        Event(
            eventID: "0123456789abcdef0123456789abcdef",
            timestamp: Date(timeIntervalSince1970: 1_800_000_000),
            level: level,
            message: message,
            environment: environment,
            service: "checkout",
            release: "1.4.2",
            platform: "python",
            exception: exception,
            tags: tags,
            user: user,
            url: url
        )
    }
}

extension ChannelConfig {
    /// The channel without where it was written, to compare with a hand-built value.
    var withoutLocations: ChannelConfig {
        var copy = self
        copy.line = nil
        copy.column = nil
        copy.templateLine = nil
        copy.templateColumn = nil
        return copy
    }
}
