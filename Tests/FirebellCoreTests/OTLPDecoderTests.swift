import FirebellOTLPProto
import Foundation
import SwiftProtobuf
import Testing

@testable import FirebellCore

/// OTLP export requests, in protobuf (built with the generated types) and in OTLP's JSON
/// (written as exporters write it), to events.
@Suite("OTLP decoder")
struct OTLPDecoderTests {
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue

    static let receivedAt = Date(timeIntervalSince1970: 1_800_000_000)
    static let traceID = Data((0..<16).map { UInt8($0 * 17 % 256) })
    static let traceHex = "00112233445566778899aabbccddeeff"
    static let spanID = Data([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3])
    static let spanHex = "deadbeef00010203"
    static let pythonStack = """
        Traceback (most recent call last):
          File "/srv/shop/shop/pay.py", line 12, in charge
            raise PaymentError("card declined")
        shop.pay.PaymentError: card declined
        """

    static func attribute(_ key: String, _ value: String) -> KeyValue {
        var pair = KeyValue()
        pair.key = key
        pair.value.stringValue = value
        return pair
    }

    static func resource(environmentKey: String = "deployment.environment.name") -> Opentelemetry_Proto_Resource_V1_Resource {
        var resource = Opentelemetry_Proto_Resource_V1_Resource()
        resource.attributes = [
            attribute("service.name", "checkout"), attribute(environmentKey, "production"),
            attribute("service.version", "1.4.2"), attribute("telemetry.sdk.language", "python"),
            attribute("host.name", "web-3"),
        ]
        return resource
    }

    static func logRecord(exception: Bool, severity: Int = 17) -> OTLPLogRecord {
        var record = OTLPLogRecord()
        record.timeUnixNano = 1_800_000_000_500_000_000
        record.severityNumber = .init(rawValue: severity)!
        record.body.stringValue = "payment failed for order 1231"
        record.traceID = traceID
        record.spanID = spanID
        if exception {
            record.attributes = [
                attribute("exception.type", "shop.pay.PaymentError"), attribute("exception.message", "card declined"),
                attribute("exception.stacktrace", pythonStack), attribute("enduser.id", "42"),
            ]
        } else {
            record.attributes = [attribute("code.function", "charge")]
        }
        return record
    }

    static func logsRequest(_ records: [OTLPLogRecord], environmentKey: String = "deployment.environment.name") -> [UInt8] {
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.scope.name = "shop.pay"
        scope.logRecords = records
        var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        resourceLogs.resource = resource(environmentKey: environmentKey)
        resourceLogs.scopeLogs = [scope]
        var request = OTLPLogsRequest()
        request.resourceLogs = [resourceLogs]
        return try! request.serializedBytes()
    }

    static func export(_ body: [UInt8], _ signal: OTLPSignal, _ encoding: OTLPEncoding) throws -> OTLPExport {
        var ids = 0
        return try OTLPRequest(body, signal: signal, encoding: encoding).export(receivedAt: receivedAt) {
            ids += 1
            return "made-\(ids)"
        }
    }

    // MARK: Logs

    @Test func aLoggedExceptionIsAnEventWithItsResourceFramesAndIds() throws {
        let export = try Self.export(Self.logsRequest([Self.logRecord(exception: true)]), .logs, .protobuf)
        #expect(export.dropped == 0 && export.rejected == 0)
        let event = try #require(export.events.first)
        #expect(event.exception?.type == "shop.pay.PaymentError")
        #expect(event.exception?.value == "card declined")
        #expect(event.title == "shop.pay.PaymentError: card declined")
        #expect(event.exception?.stacktrace == [
            Frame(function: "charge", filename: "/srv/shop/shop/pay.py", lineno: 12, inApp: true),
        ])
        #expect(event.message == "payment failed for order 1231")
        #expect(event.service == "checkout" && event.environment == "production" && event.release == "1.4.2")
        #expect(event.platform == "python" && event.serverName == "web-3" && event.logger == "shop.pay")
        #expect(event.level == .error)
        #expect(event.user?.id == "42")
        #expect(event.tags == ["trace_id": Self.traceHex, "span_id": Self.spanHex])
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_800_000_000.5))
    }

    @Test func recordsWithoutAnExceptionAreDroppedAndCounted() throws {
        let export = try Self.export(
            Self.logsRequest([Self.logRecord(exception: false), Self.logRecord(exception: true), Self.logRecord(exception: false)]),
            .logs, .protobuf)
        #expect(export.events.count == 1)
        #expect(export.dropped == 2)
    }

    @Test func anExceptionMessageAloneMakesAnExceptionWhateverTheEventName() throws {
        var record = Self.logRecord(exception: false)
        record.eventName = "shop.checkout.failed"
        record.attributes = [Self.attribute("exception.message", "card declined")]
        let event = try #require(try Self.export(Self.logsRequest([record]), .logs, .protobuf).events.first)
        #expect(event.exception == ExceptionInfo(type: nil, value: "card declined"))
        #expect(event.title == "Error: card declined")
    }

    @Test(arguments: [
        (1, Level.debug), (5, .debug), (8, .debug), (9, .info), (12, .info), (13, .warning), (16, .warning),
        (17, .error), (20, .error), (21, .fatal), (24, .fatal),
    ])
    func severityNumberRangesAreFirebellLevels(_ number: Int, _ level: Level) throws {
        let event = try #require(try Self.export(Self.logsRequest([Self.logRecord(exception: true, severity: number)]), .logs, .protobuf).events.first)
        #expect(event.level == level)
    }

    @Test func withoutASeverityNumberTheTextOrErrorDecides() throws {
        var record = Self.logRecord(exception: true, severity: 0)
        record.severityText = "CRITICAL"
        var event = try #require(try Self.export(Self.logsRequest([record]), .logs, .protobuf).events.first)
        #expect(event.level == .fatal)
        record.severityText = ""
        event = try #require(try Self.export(Self.logsRequest([record]), .logs, .protobuf).events.first)
        #expect(event.level == .error)
    }

    @Test func theOlderEnvironmentAttributeIsRead() throws {
        let body = Self.logsRequest([Self.logRecord(exception: true)], environmentKey: "deployment.environment")
        #expect(try Self.export(body, .logs, .protobuf).events.first?.environment == "production")
    }

    @Test func aStackTraceNoParserReadsIsKeptAsTheMessageDetail() throws {
        var record = Self.logRecord(exception: true)
        record.attributes[2] = Self.attribute("exception.stacktrace", "PaymentError: card declined (no frames)")
        let event = try #require(try Self.export(Self.logsRequest([record]), .logs, .protobuf).events.first)
        #expect(event.exception?.stacktrace == [])
        #expect(event.message == "payment failed for order 1231\n\nPaymentError: card declined (no frames)")
    }

    @Test func theSameRecordSentAgainHasTheSameIDAndOneWithoutATimeGetsAFreshOne() throws {
        let body = Self.logsRequest([Self.logRecord(exception: true)])
        let first = try #require(try Self.export(body, .logs, .protobuf).events.first)
        let again = try #require(try Self.export(body, .logs, .protobuf).events.first)
        #expect(first.eventID == again.eventID && first.eventID.count == 32)
        var timeless = Self.logRecord(exception: true)
        timeless.timeUnixNano = 0
        let event = try #require(try Self.export(Self.logsRequest([timeless]), .logs, .protobuf).events.first)
        #expect(event.eventID == "made-1")
        #expect(event.timestamp == Self.receivedAt)
    }

    @Test func aMalformedTraceIDRejectsOnlyItsRecord() throws {
        var bad = Self.logRecord(exception: true)
        bad.traceID = Data([1, 2, 3])
        let export = try Self.export(Self.logsRequest([bad, Self.logRecord(exception: true)]), .logs, .protobuf)
        #expect(export.events.count == 1)
        #expect(export.rejected == 1)
        #expect(export.rejection == "resourceLogs[0].scopeLogs[0].logRecords[0]: traceId is not 16 bytes")
    }

    @Test func anAllZeroTraceIDIsNoID() throws {
        var record = Self.logRecord(exception: true)
        record.traceID = Data(count: 16)
        record.spanID = Data()
        let event = try #require(try Self.export(Self.logsRequest([record]), .logs, .protobuf).events.first)
        #expect(event.tags.isEmpty)
    }

    // MARK: JSON

    /// An OTLP/JSON logs request as the exporters write it: lowerCamelCase, hex ids,
    /// 64-bit integers as strings, enums as integers, and a field this Firebell does not know.
    static let jsonLogs = """
        {"resourceLogs":[{"resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"checkout"}},
            {"key":"deployment.environment.name","value":{"stringValue":"staging"}},
            {"key":"service.version","value":{"stringValue":"2.0.0"}},
            {"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},
          "scopeLogs":[{"scope":{"name":"shop.pay"},"logRecords":[
            {"timeUnixNano":"1800000000500000000","severityNumber":21,"severityText":"CRITICAL",
             "body":{"stringValue":"payment failed"},
             "traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00f067aa0ba902b7",
             "attributes":[{"key":"exception.type","value":{"stringValue":"PaymentError"}},
                           {"key":"exception.message","value":{"stringValue":"card declined"}},
                           {"key":"exception.stacktrace","value":{"stringValue":"Traceback (most recent call last):\\n  File \\"/srv/shop/shop/pay.py\\", line 12, in charge\\nPaymentError: card declined"}},
                           {"key":"attempt","value":{"intValue":"3"}}],
             "someFutureField":{"x":1}},
            {"timeUnixNano":"1800000000600000000","body":{"stringValue":"all good"}}]}]}]}
        """

    @Test func jsonWithHexIDsAndStringIntegersDecodes() throws {
        let export = try Self.export(Array(Self.jsonLogs.utf8), .logs, .json)
        #expect(export.dropped == 1)
        let event = try #require(export.events.first)
        #expect(event.tags == ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"])
        #expect(event.environment == "staging" && event.release == "2.0.0" && event.level == .fatal)
        #expect(event.exception?.stacktrace.first?.function == "charge")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_800_000_000.5))
    }

    @Test func jsonIDsThatAreNotHexRejectTheirRecord() throws {
        let text = Self.jsonLogs.replacingOccurrences(of: "4BF92F3577B34DA6A3CE929D0E0E4736", with: "4BF92F3577B34DA6A3CE929D0E0E473z")
        let export = try Self.export(Array(text.utf8), .logs, .json)
        #expect(export.events.isEmpty && export.rejected == 1)
        #expect(export.rejection?.hasSuffix("traceId is not 32 hex digits") == true)
    }

    @Test func protobufAndJSONOfTheSameRequestGiveTheSameEvents() throws {
        let request = try OTLPLogsRequest(serializedBytes: Self.logsRequest([Self.logRecord(exception: true)]))
        // SwiftProtobuf writes ids in base64; OTLP's JSON wants hex, as exporters send it.
        var json = try request.jsonString()
        json = json.replacingOccurrences(of: Self.traceID.base64EncodedString(), with: Self.traceHex)
            .replacingOccurrences(of: Self.spanID.base64EncodedString(), with: Self.spanHex)
        #expect(try Self.export(Array(json.utf8), .logs, .json) == Self.export(try request.serializedBytes(), .logs, .protobuf))
    }

    // MARK: Traces

    static func tracesRequest(events: [String]) -> [UInt8] {
        var span = OTLPSpan()
        span.traceID = traceID
        span.spanID = spanID
        span.name = "POST /checkout"
        span.startTimeUnixNano = 1_800_000_000_000_000_000
        span.events = events.enumerated().map { index, name in
            var event = OTLPSpan.Event()
            event.name = name
            event.timeUnixNano = 1_800_000_001_000_000_000 + UInt64(index)
            event.attributes = name == "exception"
                ? [attribute("exception.type", "ValueError"), attribute("exception.message", "bad amount \(index)"),
                   attribute("exception.stacktrace", pythonStack)]
                : [attribute("retry", "1")]
            return event
        }
        var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        scope.spans = [span]
        var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        resourceSpans.resource = resource()
        resourceSpans.scopeSpans = [scope]
        var request = OTLPTracesRequest()
        request.resourceSpans = [resourceSpans]
        return try! request.serializedBytes()
    }

    @Test func eachExceptionEventOfASpanIsAnEvent() throws {
        let export = try Self.export(Self.tracesRequest(events: ["exception", "retry", "exception"]), .traces, .protobuf)
        #expect(export.events.map { $0.exception?.value } == ["bad amount 0", "bad amount 2"])
        let event = try #require(export.events.first)
        #expect(event.level == .error && event.service == "checkout" && event.release == "1.4.2")
        #expect(event.tags == ["trace_id": Self.traceHex, "span_id": Self.spanHex])
        #expect(event.exception?.stacktrace.count == 1)
        #expect(event.message == nil)
        #expect(export.dropped == 0)
    }

    @Test func aSpanWithoutExceptionsIsDropped() throws {
        let export = try Self.export(Self.tracesRequest(events: ["retry"]), .traces, .protobuf)
        #expect(export.events.isEmpty && export.dropped == 1)
        #expect(try OTLPRequest(Self.tracesRequest(events: ["retry", "exception"]), signal: .traces, encoding: .protobuf).itemCount == 3)
    }

    // MARK: Refused bodies and answers

    @Test func aBodyOfTheOtherSignalOrNoneIsRefusedWithWhy() {
        #expect(throws: IngestError.self) { try OTLPRequest(Array("{\"resourceLogs\": 7}".utf8), signal: .logs, encoding: .json) }
        #expect(throws: IngestError.self) { try OTLPRequest([0xff, 0xff, 0xff], signal: .logs, encoding: .protobuf) }
        do {
            _ = try OTLPRequest(Array("not json".utf8), signal: .traces, encoding: .json)
            Testing.Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("the body is not an ExportTraceServiceRequest in OTLP JSON"))
        }
    }

    @Test func nestingPastTheDepthLimitIsRefused() {
        var value = AnyValue()
        value.stringValue = "leaf"
        for _ in 0..<40 {
            var list = Opentelemetry_Proto_Common_V1_ArrayValue()
            list.values = [value]
            value = AnyValue()
            value.arrayValue = list
        }
        var record = Self.logRecord(exception: true)
        record.body = value
        do {
            _ = try OTLPRequest(Self.logsRequest([record]), signal: .logs, encoding: .protobuf)
            Testing.Issue.record("accepted")
        } catch {
            #expect(error.message.hasSuffix("messages nested deeper than \(OTLPRequest.maximumDepth)"))
        }
    }

    @Test func contentTypesNameTheEncoding() {
        #expect(OTLPEncoding(contentType: "application/x-protobuf") == .protobuf)
        #expect(OTLPEncoding(contentType: "Application/JSON; charset=utf-8") == .json)
        #expect(OTLPEncoding(contentType: "text/plain") == nil)
        #expect(OTLPEncoding(contentType: nil) == nil)
    }

    @Test func answersAreOTLPMessagesInTheRequestsEncoding() throws {
        let partial = OTLPExport(rejected: 2, rejection: "spans[0]: traceId is not 16 bytes")
        let json = String(decoding: OTLPResponse.success(.traces, export: partial, encoding: .json), as: UTF8.self)
        #expect(json == #"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"spans[0]: traceId is not 16 bytes (and 1 more)"}}"#)
        #expect(OTLPResponse.success(.logs, export: OTLPExport(), encoding: .json) == Array("{}".utf8))
        #expect(OTLPResponse.success(.logs, export: OTLPExport(), encoding: .protobuf).isEmpty)
        let logs = try Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(
            serializedBytes: OTLPResponse.success(.logs, export: OTLPExport(rejected: 1, rejection: "x"), encoding: .protobuf))
        #expect(logs.partialSuccess.rejectedLogRecords == 1)
        let status = try Google_Rpc_Status(serializedBytes: OTLPResponse.status(code: 3, message: "bad", encoding: .protobuf))
        #expect(status.code == 3 && status.message == "bad")
        #expect(String(decoding: OTLPResponse.status(code: 16, message: "no key", encoding: .json), as: UTF8.self)
            == #"{"code":16,"message":"no key"}"#)
    }
}
