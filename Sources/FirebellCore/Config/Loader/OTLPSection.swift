/// Decodes `otlp:`.
enum OTLPSection {
    static let keys = ["trace_url"]

    static func decode(_ value: ConfigValue?) -> OTLPConfig {
        var otlp = OTLPConfig()
        guard let map = value?.mapping(allowed: keys), let traceURL = map["trace_url"] else { return otlp }
        guard let text = traceURL.text() else { return otlp }
        if !(text.hasPrefix("http://") || text.hasPrefix("https://")) {
            traceURL.fail("'\(text)' is not an http:// or https:// URL (e.g. https://tempo.example/trace/{trace_id})")
        } else if !text.contains("{trace_id}") {
            traceURL.fail("'\(text)' has no {trace_id}, where each event's trace id goes (e.g. https://tempo.example/trace/{trace_id})")
        } else {
            otlp.traceURL = text
        }
        return otlp
    }
}
