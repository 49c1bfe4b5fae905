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
        try authenticate(
            key: request.bearerToken, rules: rules,
            missing: "missing project key: send 'Authorization: Bearer <key>' with a key from projects[].keys")
    }

    /// The project `key` belongs to: 401 (saying `missing`) without one, 403 for a key no
    /// project has; either counted as an event turned away.
    func authenticate(key: String?, rules: Rules, missing: String) throws -> ProjectConfig {
        guard let key, !key.isEmpty else {
            ingest.count(project: nil, outcome: "unauthorized", 1)
            throw ClientError(.unauthorized, missing, headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let project = rules.keys.project(forKey: key) else {
            ingest.count(project: nil, outcome: "forbidden", 1)
            throw ClientError(.forbidden, "unknown project key")
        }
        return project
    }
}
