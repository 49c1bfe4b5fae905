import FirebellCore
import FirebellStore
import Foundation
import Hummingbird

/// `POST /v1/alertmanager`: Prometheus Alertmanager's webhook (`webhook_configs`,
/// payload version 4), with a project key as `Authorization: Bearer`
/// (Alertmanager's `http_config.authorization.credentials`).
///
/// Each firing alert is an event of the issue for its Alertmanager fingerprint (a
/// grouping rule that applies to it regroups it); the same firing sent again each
/// `repeat_interval` has the same event id and counts once. Each resolved alert
/// resolves its issue, as a resolve through the API would (owing `[resolved]` to the
/// channels that alerted): again for an issue already resolved does nothing, and
/// one Firebell never saw fire is ignored. 200 once all of it is committed; 400 for a
/// payload that is not one (Alertmanager does not retry a 4xx); 503 when it should
/// retry, and then the retry's firings are duplicates.
struct AlertmanagerController: Sendable {
    let firebell: Firebell

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/alertmanager") { request, _ in
            try await receive(request)
        }
        MethodGuard.allow(["POST"], on: "/v1/alertmanager", router: router)
    }

    struct Answer: Encodable {
        /// Firing alerts stored as events (repeats of a firing included: they count once).
        var firing: Int
        /// Resolved alerts whose issue this notification resolved.
        var resolved: Int
        /// Resolved alerts for an issue already resolved, or one never seen firing.
        var ignored: Int
    }

    private func receive(_ request: Request) async throws -> Response {
        let rules = firebell.rules.withLock { $0 }
        let project = try firebell.authenticateBearer(request, rules: rules)
        let bytes = try await RequestBody.read(request, limit: rules.config.server.maxBody)
        let now = firebell.clock()
        let answer = try await firebell.signed(request, body: bytes, project: project, now: now) {
            let notification: AlertmanagerNotification
            do throws(IngestError) {
                notification = try AlertmanagerDecoder().decode(bytes)
            } catch {
                firebell.ingest.count(project: project, outcome: "invalid", 1)
                throw ClientError(.badRequest, error.message)
            }
            let alerts = notification.firing.count + notification.resolved.count
            guard alerts <= IngestStage.maxItemsPerRequest else {
                firebell.ingest.count(project: project, outcome: "too_large", notification.firing.count)
                throw IngestStage.tooManyItems(alerts, what: "alerts")
            }
            let firing = notification.firing.map { grouped($0, rules) }
            if !firing.isEmpty {
                try await firebell.ingest.accept(firing, project: project, rules: rules, now: now)
            }
            var answer = Answer(firing: firing.count, resolved: 0, ignored: 0)
            for event in notification.resolved {
                if try await resolve(grouped(event, rules), project: project, rules: rules, now: now) {
                    answer.resolved += 1
                } else {
                    answer.ignored += 1
                }
            }
            return answer
        }
        return JSONResponse.ok(answer)
    }

    /// The event as it is grouped: by its Alertmanager fingerprint, unless one of the
    /// config's grouping rules applies to it.
    private func grouped(_ event: Event, _ rules: Firebell.Rules) -> Event {
        guard rules.fingerprinter.rule(for: event) != nil else { return event }
        var regrouped = event
        regrouped.fingerprint = nil
        return regrouped
    }

    /// Resolves the issue `event` belongs to; false when there is none or it is resolved already.
    private func resolve(_ event: Event, project: ProjectConfig, rules: Firebell.Rules, now: Date) async throws -> Bool {
        let fingerprint = rules.fingerprinter.fingerprint(event).hash
        do {
            guard let issue = try await firebell.store.issue(projectID: project.id, fingerprint: fingerprint),
                  issue.status != .resolved
            else { return false }
            _ = try await Triage.resolve(firebell.store, config: rules.config, issueID: issue.id, at: now, by: "alertmanager")
            firebell.worker.wake()
            firebell.logger.info("issue resolved by Alertmanager", metadata: [
                "issue.id": "\(issue.id)", "project.id": "\(project.id)", "alert": "\(event.exception?.type ?? "")",
            ])
            return true
        } catch {
            throw ClientError(.serviceUnavailable, "the store could not resolve the issue of a resolved alert; retry shortly",
                              headers: [.retryAfter: "5"])
        }
    }
}
