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
    /// of `now`. Throws the 401 answer otherwise.
    func verifyWebhookSignature(body: [UInt8], secret: String, now: Date) throws {
        guard let id = headers[Self.webhookID],
              let timestamp = headers[Self.webhookTimestamp],
              let signature = headers[Self.webhookSignature]
        else {
            throw ClientError(.unauthorized, "this project requires signed requests: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)")
        }
        guard StandardWebhooks.verify(secret: secret, id: id, timestamp: timestamp, signatures: signature, body: body, now: now) else {
            throw ClientError(.unauthorized, "bad webhook signature, or webhook-timestamp more than 5 minutes off")
        }
    }
}
