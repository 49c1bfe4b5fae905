import ArgumentParser

/// `firebell`: one executable, thin commands over the Firebell libraries.
@main
struct FirebellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firebell",
        abstract: "Tells a team the moment production breaks, and only as loudly as the breakage deserves.",
        subcommands: [Serve.self, CheckConfig.self, TestRules.self, BacktestCommand.self, SendTestCommand.self, Issues.self, Incidents.self, Deliveries.self],
        defaultSubcommand: nil
    )
}
