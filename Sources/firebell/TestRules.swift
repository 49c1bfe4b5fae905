import ArgumentParser
import FirebellCore
import Foundation

struct TestRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-rules",
        abstract: "Show fingerprint, score breakdown, severity and channels for sample events. Stores and sends nothing.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "Sample event files (generic JSON: one event, an array, or NDJSON).")
    var events: [String]

    func validate() throws {
        guard !events.isEmpty else { throw ValidationError("give at least one EVENT.json file") }
    }

    func run() async throws {
        let config = try options.load()
        var failed = false
        for path in events {
            guard let data = FileManager.default.contents(atPath: path) else {
                Stderr.write("\(path): cannot read the file")
                failed = true
                continue
            }
            do {
                let decoded = try GenericEventDecoder().decode(Array(data), receivedAt: Date(), makeID: { "sample" })
                for (index, event) in decoded.enumerated() {
                    print("== \(path)\(decoded.count > 1 ? " [\(index)]" : "")")
                    print(RuleReport(event: event, config: config).text)
                }
            } catch {
                Stderr.write("\(path): \(error.message)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}
