import FirebellCore
import FirebellStore
import Foundation

/// Triage operations as the admin API and the CLI both perform them, so the two
/// cannot disagree (e.g. on who hears about a resolve).
public enum Triage {
    /// Resolves the issue and owes a resolve message to every channel that alerted
    /// about it and still exists with `send_resolved` on; none for a muted issue,
    /// whose channels were told nothing since the mute, nor for a flapping one, whose
    /// channels were told it keeps coming back and hear of its comebacks no more.
    public static func resolve(_ store: any Store, config: FirebellConfig, issueID: Int64, at now: Date, by who: String) async throws -> Issue? {
        let current = try await store.issue(id: issueID)
        let quiet = current?.status == .muted || current?.flappingSince != nil
        let sendResolved = quiet ? [] : Set(config.channels.filter(\.sendResolved).map(\.name))
        let names = Dictionary(config.projects.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try await store.resolve(
            issueID: issueID, at: now, by: who,
            projectName: { names[$0] ?? "project \($0)" },
            notify: { alerted in alerted.filter(sendResolved.contains) })
    }
}
