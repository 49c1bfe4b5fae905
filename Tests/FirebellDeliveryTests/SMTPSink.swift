import Foundation
import Testing

/// A real SMTP server for tests: `aiosmtpd` (pip) on 127.0.0.1 and a free
/// port, in a subprocess, writing each message it takes to a JSON file.
///
/// Recipients starting `nobody@` are refused with 550, `busy@` with 451.
/// With `login`, AUTH (PLAIN or LOGIN, allowed over plain text) is required
/// and only that user and password are accepted. The server advertises no
/// STARTTLS. It exits when ``stop()`` is called or when the test process
/// goes away (it watches its standard input).
final class SMTPSink: @unchecked Sendable {
    // @unchecked: every property is set once in init and only read after.
    struct Received: Decodable {
        var mailFrom: String
        var rcptTos: [String]
        var login: String?
        private var data: String

        /// The message exactly as the server took it (dot-stuffing undone).
        var raw: [UInt8] { Array(Data(base64Encoded: data) ?? Data()) }
        var text: String { String(decoding: raw, as: UTF8.self) }

        private enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", rcptTos = "rcpt_tos", login, data
        }
    }

    let port: Int
    private let process: Process
    private let input: Pipe
    private let directory: URL

    var url: String { "smtp://127.0.0.1:\(port)" }

    init(login: (user: String, password: String)? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("firebell-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("smtp_sink.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", script.path, directory.path]
        if let login { arguments += [login.user, login.password] }
        process.arguments = arguments
        input = Pipe()
        process.standardInput = input
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()

        let portFile = directory.appendingPathComponent("port")
        let deadline = Date().addingTimeInterval(15)
        var port: Int?
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let value = Int(text) {
                port = value
                break
            }
            usleep(50_000)
        }
        guard let port else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            process.terminate()
            process.waitUntilExit()
            throw SinkError(message: "aiosmtpd did not start (is it installed? scripts/bootstrap pip-installs it): \(output)")
        }
        self.port = port
    }

    /// Every message taken so far, in arrival order.
    func messages() throws -> [Received] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("message-") && $0.hasSuffix(".json") }
            .sorted { Int($0.dropFirst(8).dropLast(5)) ?? 0 < Int($1.dropFirst(8).dropLast(5)) ?? 0 }
        return try files.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: directory.appendingPathComponent($0))) }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    struct SinkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static let script = #"""
        import asyncio, base64, json, os, sys
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        out_dir = sys.argv[1]
        login = (sys.argv[2].encode(), sys.argv[3].encode()) if len(sys.argv) > 3 else None

        class Handler:
            def __init__(self):
                self.count = 0

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.startswith("nobody@"):
                    return "550 5.1.1 <%s>: no such user here" % address
                if address.startswith("busy@"):
                    return "451 4.3.0 mailbox busy, try again later"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                self.count += 1
                auth = session.auth_data
                record = {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
                    "data": base64.b64encode(envelope.original_content).decode(),
                }
                path = os.path.join(out_dir, "message-%d.json" % self.count)
                with open(path + ".tmp", "w") as f:
                    json.dump(record, f)
                os.rename(path + ".tmp", path)
                return "250 OK queued as %d" % self.count

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == login
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        async def main():
            loop = asyncio.get_running_loop()
            handler = Handler()
            options = {}
            if login:
                options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
            server = await loop.create_server(
                lambda: SMTP(handler, hostname="sink.test", decode_data=False, **options),
                host="127.0.0.1", port=0)
            port = server.sockets[0].getsockname()[1]
            with open(os.path.join(out_dir, "port.tmp"), "w") as f:
                f.write(str(port))
            os.rename(os.path.join(out_dir, "port.tmp"), os.path.join(out_dir, "port"))
            # Serve until the test closes our standard input (or goes away).
            await loop.run_in_executor(None, sys.stdin.read)
            server.close()

        asyncio.run(main())
        """#
}
