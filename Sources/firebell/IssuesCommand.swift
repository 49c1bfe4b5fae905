import ArgumentParser
import FirebellCore
import FirebellServer
import FirebellStore
import Foundation
import Logging

struct Issues: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Triage issues from the shell (the admin API's operations, on the configured store).",
        subcommands: [List.self, Show.self, Resolve.self, MuteIssue.self, Unmute.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List issues, most recently seen first.")
        @OptionGroup var options: ConfigOption
        @Option(help: "open, resolved or muted.") var status: IssueStatus?
        @Option(help: "Only this project id.") var project: Int?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "JSON instead of a table.") var json = false

        func run() async throws {
            try await options.withStore { config, store in
                let issues = try await store.issues(IssueQuery(projectID: project, status: status, limit: limit))
                if json {
                    print(try IssueOutput.json(["issues": issues.map { IssueView($0, baseURL: config.server.baseURL) }]))
                } else {
                    print(IssueOutput.table(issues))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one issue as JSON.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64

        func run() async throws {
            try await options.withStore { config, store in
                guard let issue = try await store.issue(id: id) else { throw RuntimeFailure("no issue \(id)") }
                print(try IssueOutput.json(IssueView(issue, baseURL: config.server.baseURL)))
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an issue; its next event is a regression.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64

        func run() async throws {
            try await options.withStore { config, store in
                guard let issue = try await Triage.resolve(store, config: config, issueID: id, at: Date(), by: "cli") else {
                    throw RuntimeFailure("no issue \(id)")
                }
                print("issue \(issue.id) resolved: \(issue.title)")
            }
        }
    }

    struct MuteIssue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mute", abstract: "Mute an issue: forever, --for 2h, --until TIME or --events N.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64
        @Option(name: .customLong("for"), help: "A duration, e.g. 2h.") var duration: String?
        @Option(help: "An RFC 3339 time.") var until: String?
        @Option(help: "Until N more events.") var events: Int?

        func run() async throws {
            let mute: Mute
            do {
                mute = try Mute.requested(for: duration, until: until, events: events, now: Date())
            } catch {
                throw ValidationError(error.message)
            }
            try await options.withStore { _, store in
                guard let issue = try await store.mute(issueID: id, mute, at: Date()) else { throw RuntimeFailure("no issue \(id)") }
                print("issue \(issue.id) muted: \(issue.title)")
            }
        }
    }

    struct Unmute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unmute an issue.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64

        func run() async throws {
            try await options.withStore { config, store in
                guard let issue = try await store.unmute(issueID: id, at: Date()) else { throw RuntimeFailure("no issue \(id)") }
                print("issue \(issue.id) unmuted: \(issue.title)")
            }
        }
    }
}

extension IssueStatus: ExpressibleByArgument {}

extension ConfigOption {
    /// Loads the config, opens its store for `body` and closes it after; a failure
    /// becomes one stderr line and exit 1 (config errors exit 2 in `load`).
    func withStore(_ body: (FirebellConfig, any Store) async throws -> Void) async throws {
        let config = try load()
        do {
            // The commands claim no deliveries: their node name is never in the outbox.
            let store = try await Firebell.openStore(config.storage, node: "firebell-cli", logger: Logger(label: "firebell"))
            do {
                try await body(config, store)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        } catch {
            Stderr.write("firebell: \(error)")
            throw ExitCode(1)
        }
    }
}

enum IssueOutput {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func table(_ issues: [Issue]) -> String {
        if issues.isEmpty { return "no issues" }
        var lines = ["ID      STATUS    SEVERITY  EVENTS  USERS  LAST SEEN             TITLE"]
        for issue in issues {
            lines.append([
                pad(String(issue.id), 7), pad(issue.status.rawValue, 9), pad(issue.severity.rawValue, 9),
                pad(String(issue.count), 7), pad(String(issue.userCount), 6), pad(Timestamps.format(issue.lastSeen), 21),
                (issue.flappingSince != nil ? "[flapping] " : "") + String(issue.title.prefix(80)),
            ].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
