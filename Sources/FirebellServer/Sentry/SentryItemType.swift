/// The envelope item types a metric may name. An item's `type` is client text: as a
/// label it let ten odd envelopes grow `/metrics` from 217 B to ~1 MB, so any type
/// not listed here is counted as `other`.
enum SentryItemType {
    /// Item types of the Sentry envelope protocol (develop.sentry.dev, "Envelope Items").
    static let known: Set<String> = [
        "event", "transaction", "attachment", "session", "sessions", "user_report", "client_report",
        "replay_event", "replay_recording", "replay_video", "profile", "profile_chunk", "check_in",
        "feedback", "span", "log", "otel_log", "statsd", "metric_buckets", "metric_meta", "trace_metric",
        "security", "raw_security", "nel", "unreal_report", "form_data",
    ]

    /// `type` as a metric label value: itself when known, else `other`.
    static func label(_ type: String) -> String {
        known.contains(type) ? type : "other"
    }
}
