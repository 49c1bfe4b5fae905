import FirebellCore
import FirebellSignatures
import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    static let webhookID = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!

    /// Checks a project's signed request (Standard Webhooks, `signing_secret`): the three
    /// `webhook-*` headers, a signature over exactly `body`, a timestamp within 5 minutes
    /// of `now`. Throws the 401 answer otherwise; returns the id and its timestamp.
    func verifyWebhookSignature(body: [UInt8], secret: String, now: Date) throws -> (id: String, timestamp: Date) {
        guard let id = headers[Self.webhookID],
              let timestamp = headers[Self.webhookTimestamp],
              let signature = headers[Self.webhookSignature]
        else {
            throw ClientError(.unauthorized, "this project requires signed requests: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)")
        }
        guard StandardWebhooks.verify(secret: secret, id: id, timestamp: timestamp, signatures: signature, body: body, now: now),
              let seconds = Int(timestamp)
        else {
            throw ClientError(.unauthorized, "bad webhook signature, or webhook-timestamp more than 5 minutes off")
        }
        return (id, Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

extension Firebell {
    /// Runs `accept` for a request of `project`. When the project has a `signing_secret`
    /// (on every ingest route alike), the request must be signed, and its `webhook-id`
    /// must not have been taken within the signature's window: a replay gets 409 and
    /// nothing is stored again. The id is held while `accept` runs and kept only if it
    /// succeeds, so a sender's resend of a refused request is taken.
    func signed<T>(
        _ request: Request, body: [UInt8], project: ProjectConfig, now: Date, _ accept: () async throws -> T
    ) async throws -> T {
        guard let secret = project.signingSecret, !secret.isEmpty else { return try await accept() }
        let (id, timestamp) = try request.verifyWebhookSignature(body: body, secret: secret, now: now)
        guard id.utf8.count <= RecentWebhookIDs.maxIDLength else {
            throw ClientError(.badRequest, "webhook-id is longer than \(RecentWebhookIDs.maxIDLength) bytes")
        }
        switch recentWebhookIDs.reserve(project: project.id, id: id, timestamp: timestamp, now: now) {
        case .fresh:
            break
        case .replayed:
            ingest.count(project: project, outcome: "replayed", 1)
            throw ClientError(
                .conflict,
                "webhook-id '\(id)' was already received for project \(project.id) in the last 5 minutes; nothing was stored again (send each new message with a new webhook-id)")
        case .full(let seconds):
            throw ClientError(
                .tooManyRequests, "too many signed requests in the last 5 minutes to remember their webhook-ids; retry in \(seconds)s",
                headers: [.retryAfter: String(seconds)])
        }
        do {
            return try await accept()
        } catch {
            recentWebhookIDs.release(project: project.id, id: id)
            throw error
        }
    }
}
