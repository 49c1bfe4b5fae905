import Foundation

/// What one Alertmanager notification asks of Firebell: events for its firing alerts,
/// and the issues of its resolved ones to resolve.
public struct AlertmanagerNotification: Sendable, Equatable {
    /// Each firing alert as an event of the issue for its Alertmanager fingerprint.
    /// Its id is made of the fingerprint and `startsAt`, so the same firing sent again
    /// every `repeat_interval` is a duplicate that counts once.
    public var firing: [Event]
    /// Each resolved alert as the event it fired as: its issue is the one to resolve.
    public var resolved: [Event]
}

/// Decodes Alertmanager's webhook payload (`webhook_config`, version 4).
///
/// Each alert in `alerts` stands alone: the group's own `status` stays `firing` while
/// any of its alerts fires, and an alert missing from the list (`truncatedAlerts`)
/// says nothing, so neither is ever read as a resolve.
public struct AlertmanagerDecoder: Sendable {
    public init() {}

    public func decode(_ body: [UInt8]) throws(IngestError) -> AlertmanagerNotification {
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: Data(body))
        } catch {
            throw IngestError("invalid Alertmanager payload: \(GenericEventDecoder.describe(error))")
        }
        if let version = payload.version, version != "4" {
            throw IngestError("Alertmanager webhook version '\(version)' is not supported; Firebell reads version 4")
        }
        var notification = AlertmanagerNotification(firing: [], resolved: [])
        for (index, alert) in payload.alerts.enumerated() {
            let event = try alert.event(position: "alerts[\(index)]")
            if alert.status == "resolved" {
                notification.resolved.append(event)
            } else {
                notification.firing.append(event)
            }
        }
        return notification
    }

    struct Payload: Decodable {
        var version: String?
        var alerts: [Alert]
    }

    struct Alert: Decodable {
        var status: String
        var labels: [String: String]
        var annotations: [String: String]?
        var startsAt: String
        var generatorURL: String?
        var fingerprint: String?

        func event(position: String) throws(IngestError) -> Event {
            guard status == "firing" || status == "resolved" else {
                throw IngestError("\(position): status '\(status)' is not firing or resolved")
            }
            guard let alertname = labels["alertname"], !alertname.isEmpty else {
                throw IngestError("\(position): labels.alertname is missing")
            }
            guard let started = Timestamps.parse(startsAt) else {
                throw IngestError("\(position): startsAt '\(startsAt)' is not an RFC 3339 time")
            }
            // Alertmanager's own fingerprint is a hash of the labels; without one, the same.
            let key = fingerprint.flatMap { $0.isEmpty ? nil : $0 }
                ?? Fingerprinter.hash(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            let summary = annotations?["summary"].flatMap { $0.isEmpty ? nil : $0 }
            let description = annotations?["description"].flatMap { $0.isEmpty ? nil : $0 }
            return Event(
                eventID: Fingerprinter.hash(["alertmanager", key, startsAt]),
                timestamp: started,
                level: Self.level(labels["severity"]),
                message: summary == nil ? nil : description,
                environment: labels["environment"] ?? labels["env"],
                service: labels["service"] ?? labels["job"],
                platform: "alertmanager",
                exception: ExceptionInfo(type: alertname, value: summary ?? description),
                fingerprint: ["alertmanager", key],
                tags: labels,
                url: generatorURL.flatMap { $0.isEmpty ? nil : $0 })
        }

        /// `labels.severity`: critical and page are fatal, warning a warning, the rest errors.
        static func level(_ severity: String?) -> Level {
            switch severity?.lowercased() {
            case "critical", "page": .fatal
            case "warning", "warn": .warning
            default: .error
            }
        }
    }
}
