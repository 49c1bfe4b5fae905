import ArgumentParser
import FirebellCurl
import FirebellDelivery
import Foundation
import Logging

struct SendTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test", abstract: "Send a sample alert through one channel and report the receiver's answer.")

    @Argument(help: "A channel name from the config's channels.") var channel: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        guard let target = config.channel(named: channel) else {
            let known = config.channels.map(\.name).joined(separator: ", ")
            Stderr.write("\(options.path): no channel '\(channel)' (defined: \(known.isEmpty ? "none" : known))")
            throw ExitCode(2)
        }
        let curl = CurlMultiLoop(logger: Logger(label: "firebell"))
        curl.start()
        let outcome = await SendTest.run(
            target, baseURL: config.server.baseURL, projectName: config.projects.first?.name ?? "firebell", curl: curl)
        curl.shutdown()
        print(outcome.report)
        print(outcome.accepted ? "accepted by \(channel)" : "NOT accepted by \(channel)")
        if !outcome.accepted { throw ExitCode(1) }
    }
}
