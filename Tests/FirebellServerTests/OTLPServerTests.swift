import CCompression
import CCompression.TestEncoders
import FirebellCore
import FirebellCurl
import FirebellOTLPProto
import FirebellStore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import SwiftProtobuf
import Testing

@testable import FirebellServer

/// `POST /v1/logs` and `/v1/traces` on the assembled daemon: auth before the body, the
/// answers OTLP clients read (in the request's encoding), the limits, and `otlp_listen`.
struct OTLPServerTests {
    static func config(maxBody: String = "4KiB", extra: String = "") throws -> FirebellConfig {
        try ConfigLoader.parse(yaml: """
            server: { listen: "127.0.0.1:0", admin_token: admin, max_body: \(maxBody)\(extra) }
            storage: { url: "sqlite::memory:" }
            projects:
              - { id: 1, name: shop, keys: [key1] }
            channels:
              out: { type: console }
            routes:
              - { when: { severity: [minor, critical] }, notify: [out] }
            """, path: "otlp.yaml", environment: [:])
    }

    static let exceptionLog = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
          "scopeLogs":[{"logRecords":[
            {"timeUnixNano":"1800000000000000000","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
             "attributes":[{"key":"exception.type","value":{"stringValue":"PaymentError"}},
                           {"key":"exception.message","value":{"stringValue":"card declined"}}]},
            {"timeUnixNano":"1800000000000000001","traceId":"4bf92f3577b34da6a3ce929d0e0e47","body":{"stringValue":"x"},
             "attributes":[{"key":"exception.type","value":{"stringValue":"PaymentError"}}]},
            {"body":{"stringValue":"just a log line"}}]}]}]}
        """

    static func post(
        _ curl: CurlMultiLoop, _ url: String, _ body: [UInt8], contentType: String = "application/json",
        headers: [(name: String, value: String)] = [(name: "Authorization", value: "Bearer key1")]
    ) async throws -> HTTPResponse {
        try await curl.perform(HTTPRequest(
            method: "POST", url: url, headers: headers + [(name: "Content-Type", value: contentType)], body: body, timeout: 5))
    }

    @Test func anExceptionLogIsStoredTheRestDroppedAndABadRecordReportedAsPartialSuccess() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, printed in
            let answer = try await Self.post(firebell.curl, base + "/v1/logs", Array(Self.exceptionLog.utf8))
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "application/json")
            #expect(answer.bodyText == #"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"resourceLogs[0].scopeLogs[0].logRecords[1]: traceId is not 32 hex digits"}}"#)
            let lines = try await LiveServerTests.waitFor(printed, count: 1)
            #expect(lines.first?.contains("PaymentError: card declined") == true)
            let metrics = try await firebell.curl.perform(HTTPRequest(method: "GET", url: base + "/metrics", timeout: 5)).bodyText
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="stored"} 1"#))
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="dropped"} 1"#))
            #expect(metrics.contains(#"firebell_events_total{project="1",outcome="invalid"} 1"#))
        }
    }

    @Test func protobufGzippedWithTheKeyHeaderIsAnsweredInProtobuf() async throws {
        var span = Opentelemetry_Proto_Trace_V1_Span()
        span.traceID = Data(repeating: 0xab, count: 16)
        span.spanID = Data(repeating: 0xcd, count: 8)
        var event = Opentelemetry_Proto_Trace_V1_Span.Event()
        event.name = "exception"
        var type = Opentelemetry_Proto_Common_V1_KeyValue()
        type.key = "exception.type"
        type.value.stringValue = "ValueError"
        event.attributes = [type]
        span.events = [event]
        var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        scope.spans = [span, Opentelemetry_Proto_Trace_V1_Span()]
        var resource = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        resource.scopeSpans = [scope]
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        request.resourceSpans = [resource]
        let body = try Self.gzip(request.serializedBytes())

        try await LiveServerTests.withServer(try Self.config()) { firebell, base, printed in
            let answer = try await Self.post(
                firebell.curl, base + "/v1/traces", body, contentType: "application/x-protobuf",
                headers: [(name: "x-firebell-key", value: "key1"), (name: "Content-Encoding", value: "gzip")])
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "application/x-protobuf")
            let response = try Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(serializedBytes: answer.body)
            #expect(!response.hasPartialSuccess)
            let lines = try await LiveServerTests.waitFor(printed, count: 1)
            #expect(lines.first?.contains("ValueError") == true)
        }
    }

    @Test func errorsAreStatusMessagesInTheRequestsEncoding() async throws {
        try await LiveServerTests.withServer(try Self.config()) { firebell, base, _ in
            let curl = firebell.curl
            let body = Array(Self.exceptionLog.utf8)
            var answer = try await Self.post(curl, base + "/v1/logs", body, headers: [])
            #expect(answer.status == 401 && answer.header("WWW-Authenticate") == "Bearer")
            #expect(answer.bodyText.hasPrefix(#"{"code":16,"message":"missing project key"#))
            answer = try await Self.post(curl, base + "/v1/logs", body, contentType: "application/x-protobuf", headers: [(name: "x-firebell-key", value: "nope")])
            #expect(answer.status == 403)
            let status = try Google_Rpc_Status(serializedBytes: answer.body)
            #expect(status.code == 7 && status.message == "unknown project key")
            answer = try await Self.post(curl, base + "/v1/logs", body, contentType: "text/plain")
            #expect(answer.status == 415 && answer.bodyText.contains("application/x-protobuf or application/json"))
            answer = try await Self.post(curl, base + "/v1/traces", Array("{\"resourceSpans\": 1}".utf8))
            #expect(answer.status == 400 && answer.bodyText.hasPrefix(#"{"code":3,"message":"the body is not an ExportTraceServiceRequest"#))
            answer = try await Self.post(curl, base + "/v1/logs", Array(repeating: 0x20, count: 5000))
            #expect(answer.status == 413 && answer.bodyText.contains("server.max_body"))
            answer = try await Self.post(
                curl, base + "/v1/logs", Self.gzip(Array(repeating: 0x20, count: 100_000)),
                headers: [(name: "Authorization", value: "Bearer key1"), (name: "Content-Encoding", value: "gzip")])
            #expect(answer.status == 413, "past max_body once decompressed")
            answer = try await Self.post(
                curl, base + "/v1/logs", body, headers: [(name: "Authorization", value: "Bearer key1"), (name: "Content-Encoding", value: "snappy")])
            #expect(answer.status == 415)
        }
    }

    @Test func tooManyRecordsInOneRequestAre413() async throws {
        let records = Array(repeating: "{}", count: IngestStage.maxItemsPerRequest + 1).joined(separator: ",")
        let body = Array(#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[\#(records)]}]}]}"#.utf8)
        try await LiveServerTests.withServer(try Self.config(maxBody: "1MiB")) { firebell, base, _ in
            let answer = try await Self.post(firebell.curl, base + "/v1/logs", body)
            #expect(answer.status == 413)
            #expect(answer.bodyText.contains("25001 log records in one request"))
        }
    }

    @Test func otlpListenServesOnlyTheOTLPRoutes() async throws {
        let config = try Self.config(extra: ", otlp_listen: \"127.0.0.1:0\"")
        let registry = PrometheusCollectorRegistry()
        let firebell = Firebell(
            config: config, store: InMemoryStore(), logger: Logger(label: "test"),
            metrics: PrometheusMetricsFactory(registry: registry), console: { _ in })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(firebell, registry: registry, onOTLPServerRunning: { continuation.yield($0) })
        let group = ServiceGroup(services: [app], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let base = "http://127.0.0.1:\(try #require(await iterator.next()))"
            let answer = try await Self.post(firebell.curl, base + "/v1/logs", Array(#"{"resourceLogs":[]}"#.utf8))
            #expect(answer.status == 200 && answer.bodyText == "{}")
            let events = try await Self.post(firebell.curl, base + "/v1/events", Array(#"{"message":"m"}"#.utf8))
            #expect(events.status == 404)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A gzip stream of `bytes` (zlib with the gzip wrapper).
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard fb_deflate_init2(&stream, Z_DEFAULT_COMPRESSION, 31) == Z_OK else {
            throw CocoaError(.coderInvalidValue)
        }
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        let written = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                deflate(&stream, Z_FINISH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(written))
    }
}
