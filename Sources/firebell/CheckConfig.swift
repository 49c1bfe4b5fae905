import ArgumentParser
import FirebellCore

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config; print a summary, or one FILE:LINE:COL line per error and exit 2.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        print(ConfigSummary(config).text)
    }
}

/// The short summary `check-config` prints for a valid file.
struct ConfigSummary {
    var config: FirebellConfig
    init(_ config: FirebellConfig) { self.config = config }

    var text: String {
        let storage: String = switch config.storage.url {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres: "postgres"
        }
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var otlp: [String] = []
        if let address = config.server.otlpListen {
            otlp.append("also listens on \(address.host):\(address.port)")
        }
        if let traceURL = config.otlp.traceURL {
            otlp.append("trace links \(traceURL)")
        }
        return ([
            "\(config.sourcePath): ok",
            "  listen:    \(config.server.listenHost):\(config.server.listenPort) (max body \(config.server.maxBody) bytes)",
            "  storage:   \(storage), retention \(Int(config.storage.retention / 86400))d",
            "  projects:  \(config.projects.isEmpty ? "none" : config.projects.map { "\($0.id) \($0.name)" }.joined(separator: ", "))",
            "  grouping:  \(plural(config.grouping.count, "rule"))",
            "  severity:  \(plural(config.severity.rules.count, "rule")), critical at \(config.severity.criticalAt)",
            "  channels:  \(config.channels.isEmpty ? "none" : config.channels.map { "\($0.name) (\($0.type.rawValue))" }.joined(separator: ", "))",
            "  routes:    \(plural(config.routes.count, "route"))",
            "  alerting:  repeat after \(Int(config.alerting.repeatAfter))s, "
                + (config.alerting.incidentWindow > 0
                    ? "incidents within \(Int(config.alerting.incidentWindow))s, updates every \(Int(config.alerting.incidentUpdate))s"
                    : "no incidents (every page alone)"),
        ] + (otlp.isEmpty ? [] : ["  otlp:      " + otlp.joined(separator: "; ")])).joined(separator: "\n")
    }
}
