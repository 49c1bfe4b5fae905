import FirebellOTLPProto
import Foundation

typealias OTLPLogRecord = Opentelemetry_Proto_Logs_V1_LogRecord
typealias OTLPSpan = Opentelemetry_Proto_Trace_V1_Span
typealias OTLPKeyValue = Opentelemetry_Proto_Common_V1_KeyValue

/// What an OTLP request gives Firebell: an `Event` for each exception in it, and counts
/// of the rest for the answer and `/metrics`.
///
/// An exception is a log record carrying `exception.type` or `exception.message`
/// (whatever its event name), or a span event named `exception` (OpenTelemetry's
/// semantic conventions for both). Everything else is accepted and dropped.
public struct OTLPExport: Sendable, Equatable {
    /// One per exception, in the request's order.
    public var events: [Event]
    /// Log records, or spans, that carried no exception: accepted and dropped.
    public var dropped: Int
    /// Log records, or spans, whose exception was refused (a malformed trace or span
    /// id): what the answer's `partialSuccess` counts.
    public var rejected: Int
    /// Why the first of them was refused, naming it.
    public var rejection: String?

    public init(events: [Event] = [], dropped: Int = 0, rejected: Int = 0, rejection: String? = nil) {
        self.events = events
        self.dropped = dropped
        self.rejected = rejected
        self.rejection = rejection
    }

    mutating func reject(_ reason: String) {
        rejected += 1
        if rejection == nil { rejection = reason }
    }
}

extension OTLPRequest {
    /// The request's exceptions as events.
    ///
    /// - Parameters:
    ///   - receivedAt: the time of records that carry none.
    ///   - makeID: an id for an exception without a time. One with a time gets an id made
    ///     of what it says (trace, span, time, exception), so an exporter's retry of the
    ///     same request counts once.
    public func export(receivedAt: Date, makeID: () -> String) -> OTLPExport {
        var export = OTLPExport()
        switch body {
        case .logs(let request):
            for (r, resourceLogs) in request.resourceLogs.enumerated() {
                let resource = OTLPResource(resourceLogs.resource.attributes)
                for (s, scopeLogs) in resourceLogs.scopeLogs.enumerated() {
                    for (l, record) in scopeLogs.logRecords.enumerated() {
                        guard OTLPAttributes.carriesException(record.attributes) else {
                            export.dropped += 1
                            continue
                        }
                        let position = "resourceLogs[\(r)].scopeLogs[\(s)].logRecords[\(l)]"
                        switch event(record, resource: resource, logger: scopeLogs.scope.name, receivedAt, makeID) {
                        case .success(let event): export.events.append(event)
                        case .failure(let reason): export.reject("\(position): \(reason.message)")
                        }
                    }
                }
            }
        case .traces(let request):
            for (r, resourceSpans) in request.resourceSpans.enumerated() {
                let resource = OTLPResource(resourceSpans.resource.attributes)
                for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
                    for (p, span) in scopeSpans.spans.enumerated() {
                        let exceptions = span.events.filter { $0.name == "exception" }
                        guard !exceptions.isEmpty else {
                            export.dropped += 1
                            continue
                        }
                        let position = "resourceSpans[\(r)].scopeSpans[\(s)].spans[\(p)]"
                        switch events(exceptions, of: span, resource: resource, logger: scopeSpans.scope.name, receivedAt, makeID) {
                        case .success(let events): export.events += events
                        case .failure(let reason): export.reject("\(position): \(reason.message)")
                        }
                    }
                }
            }
        }
        return export
    }

    private func event(
        _ record: OTLPLogRecord, resource: OTLPResource, logger: String, _ receivedAt: Date, _ makeID: () -> String
    ) -> Result<Event, IngestError> {
        let ids: OTLPIdentifiers
        do {
            ids = try OTLPIdentifiers(traceID: record.traceID, spanID: record.spanID, encoding: encoding)
        } catch {
            return .failure(error)
        }
        let nanos = record.timeUnixNano != 0 ? record.timeUnixNano : record.observedTimeUnixNano
        let body = record.hasBody ? OTLPAttributes.text(record.body) : nil
        return .success(OTLPException(record.attributes).event(
            nanos: nanos, level: Self.level(record), body: body, ids: ids, resource: resource, logger: logger,
            receivedAt: receivedAt, makeID: makeID))
    }

    private func events(
        _ exceptions: [OTLPSpan.Event], of span: OTLPSpan, resource: OTLPResource, logger: String, _ receivedAt: Date,
        _ makeID: () -> String
    ) -> Result<[Event], IngestError> {
        let ids: OTLPIdentifiers
        do {
            ids = try OTLPIdentifiers(traceID: span.traceID, spanID: span.spanID, encoding: encoding)
        } catch {
            return .failure(error)
        }
        return .success(exceptions.map { exception in
            OTLPException(exception.attributes).event(
                nanos: exception.timeUnixNano != 0 ? exception.timeUnixNano : span.startTimeUnixNano, level: .error,
                body: nil, ids: ids, resource: resource, logger: logger, receivedAt: receivedAt, makeID: makeID)
        })
    }

    /// A log record's `severityNumber` in Firebell's levels: TRACE and DEBUG (1–8) debug,
    /// INFO (9–12) info, WARN (13–16) warning, ERROR (17–20) error, FATAL (21–24) fatal.
    /// Without one, its `severityText`, else error: it carries an exception.
    static func level(_ record: OTLPLogRecord) -> Level {
        switch record.severityNumber.rawValue {
        case 1...8: .debug
        case 9...12: .info
        case 13...16: .warning
        case 17...20: .error
        case 21...24: .fatal
        default: Level(lenient: record.severityText) ?? .error
        }
    }
}

/// What Firebell reads of a resource: who reported (OpenTelemetry's resource semantic conventions).
struct OTLPResource {
    var service: String?
    var environment: String?
    var release: String?
    var host: String?
    /// `telemetry.sdk.language`, the event's platform and the stack trace's format.
    var language: String?

    init(_ attributes: [OTLPKeyValue]) {
        var olderEnvironment: String?
        for attribute in attributes {
            switch attribute.key {
            case "service.name": service = OTLPAttributes.text(attribute.value)
            case "deployment.environment.name": environment = OTLPAttributes.text(attribute.value)
            case "deployment.environment": olderEnvironment = OTLPAttributes.text(attribute.value)
            case "service.version": release = OTLPAttributes.text(attribute.value)
            case "host.name": host = OTLPAttributes.text(attribute.value)
            case "telemetry.sdk.language": language = OTLPAttributes.text(attribute.value)
            default: break
            }
        }
        environment = environment ?? olderEnvironment
    }
}

/// The `exception.*` attributes of a log record or span event (and the user's id), as an `Event`.
struct OTLPException {
    var type: String?
    var message: String?
    var stacktrace: String?
    var userID: String?

    init(_ attributes: [OTLPKeyValue]) {
        for attribute in attributes {
            switch attribute.key {
            case "exception.type": type = OTLPAttributes.text(attribute.value)
            case "exception.message": message = OTLPAttributes.text(attribute.value)
            case "exception.stacktrace": stacktrace = OTLPAttributes.text(attribute.value)
            case "enduser.id", "user.id": userID = userID ?? OTLPAttributes.text(attribute.value)
            default: break
            }
        }
    }

    /// The event; `body` is the log record's, the message the exception was logged with.
    /// A stack trace no parser reads is kept after it, as the message's detail.
    func event(
        nanos: UInt64, level: Level, body: String?, ids: OTLPIdentifiers, resource: OTLPResource, logger: String,
        receivedAt: Date, makeID: () -> String
    ) -> Event {
        let frames = stacktrace.flatMap { text in
            StackTraceText.frames(text, language: resource.language.flatMap(StackTraceText.Language.init(sdkLanguage:)))
        }
        var detail = body
        if frames == nil, let stacktrace {
            detail = [body, stacktrace].compactMap { $0 }.joined(separator: "\n\n")
        }
        var tags: [String: String] = [:]
        tags["trace_id"] = ids.traceID
        tags["span_id"] = ids.spanID
        let eventID = nanos == 0 ? makeID() : Fingerprinter.hash([
            "otlp", ids.traceID ?? "", ids.spanID ?? "", String(nanos), type ?? "", message ?? "", stacktrace ?? "",
        ])
        return Event(
            eventID: eventID,
            timestamp: nanos == 0 ? receivedAt : Date(timeIntervalSince1970: Double(nanos) / 1_000_000_000),
            level: level,
            message: detail,
            environment: resource.environment,
            service: resource.service,
            release: resource.release,
            platform: resource.language,
            exception: ExceptionInfo(type: type, value: message, stacktrace: frames ?? []),
            tags: tags,
            user: userID.map { User(id: $0) },
            logger: logger.isEmpty ? nil : logger,
            serverName: resource.host)
    }
}
