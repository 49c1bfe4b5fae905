import FirebellCore
import Hummingbird

extension Request {
    /// The token of `Authorization: Bearer <token>`, if that is what was sent.
    ///
    /// Read on every ingest request, so by bytes rather than through Foundation's
    /// `CharacterSet` trimming (which a profile showed at ~1 % of the daemon).
    var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        let bytes = header.utf8
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
              String(header[..<space]).lowercased() == "bearer"
        else { return nil }
        return String(decoding: bytes[bytes.index(after: space)...].trimmingBlanks(), as: UTF8.self)
    }
}

extension Firebell {
    /// The project whose key is the request's bearer token (`/v1/events`,
    /// `/v1/alertmanager`): 401 without one, 403 for a key no project has. Checked
    /// before the body is read.
    func authenticateBearer(_ request: Request, rules: Rules) throws -> ProjectConfig {
        guard let token = request.bearerToken, !token.isEmpty else {
            ingest.count(project: nil, outcome: "unauthorized", 1)
            throw ClientError(.unauthorized, "missing project key: send 'Authorization: Bearer <key>' with a key from projects[].keys",
                              headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let project = rules.keys.project(forKey: token) else {
            ingest.count(project: nil, outcome: "forbidden", 1)
            throw ClientError(.forbidden, "unknown project key")
        }
        return project
    }
}
