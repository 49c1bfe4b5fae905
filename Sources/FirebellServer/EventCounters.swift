import Metrics
import Synchronization

/// `firebell_events_total{project, outcome}`, made once per pair and kept: making a
/// `Counter` asks the Prometheus registry (a lock, a label check, two lookups) and
/// was ~3 % of the request side when done for every request.
final class EventCounters: Sendable {
    private struct Key: Hashable {
        var project: Int?
        var outcome: String
    }

    private let factory: any MetricsFactory
    private let counters = Mutex<[Key: Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Counts `n` events of `project` (nil: not known) with `outcome`.
    func count(project: Int?, outcome: String, _ n: Int) {
        guard n > 0 else { return }
        let key = Key(project: project, outcome: outcome)
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "firebell_events_total",
                dimensions: [("project", project.map { String($0) } ?? "unknown"), ("outcome", outcome)],
                factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment(by: n)
    }
}
