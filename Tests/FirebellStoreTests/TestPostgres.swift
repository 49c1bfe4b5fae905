import Foundation
import Logging
import PostgresNIO

/// A real PostgreSQL server for the store tests: one per test process, started by
/// `scripts/test-postgres` the first time a test asks for a database, on a free
/// 127.0.0.1 port in a temporary directory, and stopped (the directory removed)
/// when the process exits. Each test gets a database of its own on it.
///
/// A test that needs it and cannot have it fails with the script's reason: the
/// PostgreSQL backend is part of the contract, so its tests never skip.
enum TestPostgres {
    struct Server: Sendable {
        var directory: URL
        var port: Int

        /// A server of the caller's own (for a test that stops it: the shared one serves
        /// every other test); `remove()` it after.
        static func launch() throws -> Server {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-pg-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            do {
                let output = try run(["start", directory.path])
                guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw Unavailable(description: "scripts/test-postgres printed no port: \(output)")
                }
                return Server(directory: directory, port: port)
            } catch {
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
        }

        /// Stops it at once, as a crash would.
        func stop() throws { _ = try run(["stop", directory.path]) }
        /// Starts it again, on its port.
        func restart() throws { _ = try run(["start", directory.path, String(port)]) }

        func remove() {
            try? stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Started once, on first use (a static is initialized once, thread-safely).
    static let server: Result<Server, Unavailable> = start()

    /// The URL of a new, empty database on the shared server, or on `server`.
    static func database(on server: Server? = nil) async throws -> String {
        let server = try server ?? self.server.get()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: "127.0.0.1", port: server.port, username: "firebell", password: nil, database: "postgres", tls: .disable),
            id: 1, logger: Logger(label: "test-postgres"))
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test-postgres"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return "postgres://firebell@127.0.0.1:\(server.port)/\(name)?sslmode=disable"
    }

    /// `scripts/test-postgres`, from this file's place in the repository.
    private static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-postgres").path

    private static func start() -> Result<Server, Unavailable> {
        do {
            let server = try Server.launch()
            stopAtExit = server.directory.path
            atexit {
                guard let directory = TestPostgres.stopAtExit else { return }
                _ = try? TestPostgres.run(["stop", directory])
                try? FileManager.default.removeItem(atPath: directory)
            }
            return .success(server)
        } catch {
            return .failure(error as? Unavailable ?? Unavailable(description: "PostgreSQL for the tests: \(error)"))
        }
    }

    /// The directory `atexit` stops the server in; set once, before the handler is registered.
    nonisolated(unsafe) private static var stopAtExit: String?

    /// Runs the script; its standard output, or its standard error as the failure.
    /// Both go to files, not pipes: the server it starts inherits the script's open
    /// descriptors and would hold a pipe open for as long as it runs.
    private static func run(_ arguments: [String]) throws -> String {
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-pg-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputs) }
        let printed = outputs.appendingPathComponent("stdout")
        let complaint = outputs.appendingPathComponent("stderr")
        // system(3), not Foundation's Process: its waitUntilExit never saw the script
        // end here (the child stayed a zombie, unreaped); system waits for its own child.
        let command = ([script] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let status = system("\(command) </dev/null >'\(printed.path)' 2>'\(complaint.path)'")
        guard status == 0 else {
            let reason = (try? String(contentsOf: complaint, encoding: .utf8)) ?? ""
            throw Unavailable(description: reason.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (try? String(contentsOf: printed, encoding: .utf8)) ?? ""
    }
}
