import ArgumentParser
import FirebellCore
import FirebellStore
import Foundation

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the outbox and dead letters; re-queue.", subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbox rows, newest first.")
        @OptionGroup var options: ConfigOption
        @Option(help: "pending, delivered, dead or cancelled.") var status: DeliveryStatus?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            try await options.withStore { _, store in
                let rows = try await store.deliveries(status: status, limit: limit)
                if rows.isEmpty {
                    print("no deliveries")
                    return
                }
                // Why a channel's rows wait: the worker keeps breaker and parking in memory and
                // writes the reason on the rows it holds back; the newest pending one tells.
                let waiting = try await store.deliveries(status: .pending, limit: 10_000)
                var held: [String: String] = [:]
                for row in waiting where held[row.channel] == nil {
                    if let error = row.lastError, error.hasPrefix("channel parked:") || error.hasPrefix("circuit open") {
                        held[row.channel] = error
                    }
                }
                print("ID      ISSUE   CHANNEL           KIND         STATUS     TRIES  LAST")
                for row in rows {
                    var last = row.lastError.map { String($0.prefix(80)) } ?? row.lastStatus.map { "HTTP \($0)" } ?? ""
                    if row.status == .pending, let reason = held[row.channel], row.lastError != reason {
                        last = reason.hasPrefix("channel parked:") ? "waiting: channel parked" : "waiting: circuit open"
                    }
                    print([
                        IssueOutput.pad(String(row.id), 7), IssueOutput.pad(String(row.issueID), 7),
                        IssueOutput.pad(row.channel, 17), IssueOutput.pad(row.alert.kind.rawValue, 12),
                        IssueOutput.pad(row.status.rawValue, 10), IssueOutput.pad(String(row.attempts), 6), last,
                    ].joined(separator: " "))
                }
                for (channel, reason) in held.sorted(by: { $0.key < $1.key }) {
                    print("\(channel): \(reason)")
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-queue a delivery (dead or not) to be sent now.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64

        func run() async throws {
            try await options.withStore { _, store in
                guard try await store.retryDelivery(id: id, at: Date()) else { throw RuntimeFailure("no delivery \(id)") }
                print("delivery \(id) re-queued")
            }
        }
    }
}

extension DeliveryStatus: ExpressibleByArgument {}
