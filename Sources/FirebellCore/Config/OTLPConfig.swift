/// The `otlp:` section: how alerts link OpenTelemetry events to a trace viewer.
public struct OTLPConfig: Sendable, Equatable {
    /// `trace_url`: a link template with `{trace_id}` (and optionally `{span_id}`), e.g.
    /// `https://tempo.example/trace/{trace_id}`. Alerts of an issue whose latest event
    /// has a `trace_id` tag show it filled in as "Trace"; nil shows none.
    public var traceURL: String?

    public init(traceURL: String? = nil) {
        self.traceURL = traceURL
    }
}
