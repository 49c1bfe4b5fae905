import Foundation
import Testing

@testable import FirebellCore

/// Alertmanager's webhook payload, version 4, as Alertmanager 0.25 sends it.
struct AlertmanagerDecoderTests {
    static func payload(_ alerts: String, truncated: Int = 0, groupStatus: String = "firing") -> [UInt8] {
        Array("""
            {
              "version": "4", "groupKey": "{}:{alertname=\\"HighErrorRate\\"}", "truncatedAlerts": \(truncated),
              "status": "\(groupStatus)", "receiver": "firebell",
              "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": {"alertname": "HighErrorRate"},
              "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
              "alerts": [\(alerts)]
            }
            """.utf8)
    }

    static func alert(
        status: String = "firing", fingerprint: String = "a1b2c3d4e5f60718", startsAt: String = "2026-12-06T10:00:00.123456789Z",
        labels: String = #""alertname": "HighErrorRate", "severity": "critical", "instance": "web-1:9100", "job": "node", "namespace": "shop""#,
        annotations: String = #""summary": "Error rate above 5%", "description": "5xx share is 7.2% on web-1""#
    ) -> String {
        """
        {"status": "\(status)", "labels": {\(labels)}, "annotations": {\(annotations)},
         "startsAt": "\(startsAt)", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus:9090/graph?g0.expr=rate", "fingerprint": "\(fingerprint)"}
        """
    }

    @Test func aFiringAlertIsAnEventOfItsFingerprintsIssue() throws {
        let notification = try AlertmanagerDecoder().decode(Self.payload(Self.alert()))
        #expect(notification.resolved.isEmpty)
        let event = try #require(notification.firing.first)
        #expect(event.title == "HighErrorRate: Error rate above 5%")
        #expect(event.message == "5xx share is 7.2% on web-1")
        #expect(event.level == .fatal)
        #expect(event.service == "node")
        #expect(event.platform == "alertmanager")
        #expect(event.tags["instance"] == "web-1:9100" && event.tags["namespace"] == "shop" && event.tags["job"] == "node")
        #expect(event.url == "http://prometheus:9090/graph?g0.expr=rate")
        #expect(event.fingerprint == ["alertmanager", "a1b2c3d4e5f60718"])
        // Go's nanoseconds: the time is startsAt, to the millisecond.
        #expect(abs(event.timestamp.timeIntervalSince1970 - 1_796_551_200.123) < 0.001)
    }

    @Test func theSameFiringSentAgainHasTheSameIDAndANewFiringANewOne() throws {
        let first = try AlertmanagerDecoder().decode(Self.payload(Self.alert())).firing[0]
        let repeated = try AlertmanagerDecoder().decode(Self.payload(Self.alert())).firing[0]
        let again = try AlertmanagerDecoder().decode(Self.payload(Self.alert(startsAt: "2026-12-06T11:00:00Z"))).firing[0]
        let other = try AlertmanagerDecoder().decode(Self.payload(Self.alert(fingerprint: "ffff000011112222"))).firing[0]
        #expect(first.eventID == repeated.eventID)
        #expect(first.eventID != again.eventID && first.eventID != other.eventID)
    }

    @Test func eachAlertStandsAloneWhateverTheGroupSaysOrLeavesOut() throws {
        // The group is still firing and two alerts were cut (truncatedAlerts): only the
        // listed resolved alert resolves; nothing is inferred from the group or the cut.
        let body = Self.payload(
            Self.alert(status: "resolved") + "," + Self.alert(fingerprint: "0000111122223333"), truncated: 2, groupStatus: "firing")
        let notification = try AlertmanagerDecoder().decode(body)
        #expect(notification.resolved.map(\.fingerprint) == [["alertmanager", "a1b2c3d4e5f60718"]])
        #expect(notification.firing.map(\.fingerprint) == [["alertmanager", "0000111122223333"]])
        // A resolved alert is the event it fired as: same issue, same id.
        let fired = try AlertmanagerDecoder().decode(Self.payload(Self.alert())).firing[0]
        #expect(notification.resolved[0] == fired)
    }

    @Test(arguments: [("critical", Level.fatal), ("page", .fatal), ("warning", .warning), ("info", .error), (String?.none, .error)] as [(String?, Level)])
    func severityLabelsMapToLevels(_ severity: String?, _ level: Level) throws {
        let labels = #""alertname": "X""# + (severity.map { #", "severity": "\#($0)""# } ?? "")
        let event = try AlertmanagerDecoder().decode(Self.payload(Self.alert(labels: labels))).firing[0]
        #expect(event.level == level)
    }

    @Test func withoutAFingerprintTheLabelsMakeOneInAnyOrder() throws {
        let a = try AlertmanagerDecoder().decode(Self.payload(Self.alert(fingerprint: "", labels: #""alertname": "X", "job": "a""#)))
        let b = try AlertmanagerDecoder().decode(Self.payload(Self.alert(fingerprint: "", labels: #""job": "a", "alertname": "X""#)))
        let c = try AlertmanagerDecoder().decode(Self.payload(Self.alert(fingerprint: "", labels: #""alertname": "X", "job": "b""#)))
        #expect(a.firing[0].fingerprint == b.firing[0].fingerprint)
        #expect(a.firing[0].fingerprint != c.firing[0].fingerprint)
    }

    @Test func summaryOrDescriptionOrJustTheName() throws {
        let onlyDescription = try AlertmanagerDecoder().decode(Self.payload(Self.alert(annotations: #""description": "disk 91% full""#)))
        #expect(onlyDescription.firing[0].title == "HighErrorRate: disk 91% full")
        #expect(onlyDescription.firing[0].message == nil)
        let none = try AlertmanagerDecoder().decode(Self.payload(Self.alert(annotations: "")))
        #expect(none.firing[0].title == "HighErrorRate")
    }

    @Test(arguments: [
        (#"{"alerts": "no"}"#, "invalid Alertmanager payload: field 'alerts'"),
        (#"{"version": "3", "alerts": []}"#, "Alertmanager webhook version '3' is not supported; Firebell reads version 4"),
        ("[1, 2]", "invalid Alertmanager payload"),
    ])
    func malformedPayloadsAreNamed(_ body: String, _ start: String) {
        #expect(throws: IngestError.self) { try AlertmanagerDecoder().decode(Array(body.utf8)) }
        do {
            _ = try AlertmanagerDecoder().decode(Array(body.utf8))
        } catch {
            #expect(error.message.hasPrefix(start), "\(error.message)")
        }
    }

    @Test func badAlertsAreNamedByPosition() {
        let cases: [(String, String)] = [
            (Self.alert(status: "pending"), "alerts[0]: status 'pending' is not firing or resolved"),
            (Self.alert(labels: #""job": "a""#), "alerts[0]: labels.alertname is missing"),
            (Self.alert(startsAt: "yesterday"), "alerts[0]: startsAt 'yesterday' is not an RFC 3339 time"),
        ]
        for (alert, message) in cases {
            #expect(throws: IngestError(message)) { try AlertmanagerDecoder().decode(Self.payload(alert)) }
        }
    }
}
