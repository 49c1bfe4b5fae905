import ArgumentParser
import FirebellCore
import FirebellServer
import Foundation

/// `--config FILE`, an option of every command: default `$FIREBELL_CONFIG`, else `config/firebell.yaml`.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $FIREBELL_CONFIG or config/firebell.yaml).")
    var config: String?

    var path: String {
        config ?? ProcessInfo.processInfo.environment["FIREBELL_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "config/firebell.yaml"
    }

    /// Loads the config or exits 2 with one `FILE:LINE:COL: message` line per error on stderr.
    func load() throws -> FirebellConfig {
        do {
            return try Firebell.loadConfig(path: path)
        } catch {
            Stderr.write(error.description)
            throw ExitCode(2)
        }
    }
}

enum Stderr {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Exits 1 with a one-line message (runtime failure, as opposed to bad usage or config).
struct RuntimeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning unexpected errors into one stderr line and exit 1.
    func failing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            Stderr.write("firebell: \(error)")
            throw ExitCode(1)
        }
    }
}
