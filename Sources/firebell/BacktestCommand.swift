import ArgumentParser
import FirebellCore
import FirebellStore
import Foundation

/// `firebell backtest`: what the rules in the config would have done with the stored
/// events, next to what was owed at the time. Stores and sends nothing.
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay stored events through the config's rules: per rule what matched, per channel what would have gone out.")

    @OptionGroup var options: ConfigOption
    @Option(help: "How far back to replay (a duration: 90m, 24h, 7d).") var since = "7d"
    @Flag(help: "Print the report as JSON.") var json = false

    /// Events read from the store per page.
    static let page = 2_000

    func run() async throws {
        guard let period = Units.duration(since), period > 0 else {
            Stderr.write("firebell backtest: --since takes a duration such as 90m, 24h or 7d, got '\(since)'")
            throw ExitCode(2)
        }
        let start = Date().addingTimeInterval(-period)
        try await options.withStore { config, store in
            var backtest = Backtest(config: config)
            var cursor: EventCursor?
            repeat {
                let (events, next) = try await store.storedEvents(since: start, after: cursor, limit: Self.page)
                backtest.replay(events)
                cursor = next
            } while cursor != nil
            let report = backtest.report(since: start, owed: try await store.owedAlerts(since: start))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        }
    }
}
