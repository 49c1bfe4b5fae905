import ArgumentParser
import FirebellCore
import FirebellServer
import FirebellStore
import Foundation

/// `firebell incidents list|show`: what `GET /v1/incidents` answers, on the configured store.
struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Critical pages that came together (alerting.incident_window), from the configured store.",
        subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incidents, newest first.")
        @OptionGroup var options: ConfigOption
        @Option(help: "open or ended.") var status: IncidentStatus?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "JSON instead of a table.") var json = false

        func run() async throws {
            try await options.withStore { config, store in
                let now = Date()
                let window = config.alerting.incidentWindow
                let incidents = try await store.incidents(IncidentQuery(status: status, quietBefore: now.addingTimeInterval(-window), limit: limit))
                let views = incidents.map { IncidentView($0, window: window, now: now, baseURL: config.server.baseURL) }
                print(json ? try IssueOutput.json(["incidents": views]) : Self.table(incidents, window: window, now: now))
            }
        }

        static func table(_ incidents: [Incident], window: TimeInterval, now: Date) -> String {
            if incidents.isEmpty { return "no incidents" }
            var lines = ["ID      STATUS  ISSUES  OPENED                CHANNELS              FIRST PAGE"]
            for incident in incidents {
                lines.append([
                    IssueOutput.pad(String(incident.id), 7), IssueOutput.pad(incident.status(at: now, window: window).rawValue, 7),
                    IssueOutput.pad(String(incident.issueCount), 7), IssueOutput.pad(Timestamps.format(incident.openedAt), 21),
                    IssueOutput.pad(incident.route, 21),
                    "#\(incident.firstPage.issueID) " + String(incident.firstPage.title.prefix(60)),
                ].joined(separator: " "))
            }
            return lines.joined(separator: "\n")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one incident as JSON: its issues, first page and timeline.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64

        func run() async throws {
            try await options.withStore { config, store in
                guard let detail = try await store.incident(id: id) else { throw RuntimeFailure("no incident \(id)") }
                print(try IssueOutput.json(try await IncidentView.detail(detail, store: store, config: config, now: Date())))
            }
        }
    }
}

extension IncidentStatus: ExpressibleByArgument {}
