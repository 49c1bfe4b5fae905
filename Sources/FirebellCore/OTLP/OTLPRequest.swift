import FirebellOTLPProto
import Foundation
import SwiftProtobuf

typealias OTLPLogsRequest = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
typealias OTLPTracesRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest

/// One OTLP/HTTP export request (`ExportLogsServiceRequest` or
/// `ExportTraceServiceRequest`), decoded from protobuf or OTLP's JSON with the code
/// generated from the official definitions (FirebellOTLPProto).
///
/// Decoding only: `itemCount` is what the per-request limit counts, before anything
/// is turned into events (`export(receivedAt:makeID:)`).
public struct OTLPRequest: Sendable {
    enum Body: Sendable {
        case logs(OTLPLogsRequest)
        case traces(OTLPTracesRequest)
    }

    let body: Body
    let encoding: OTLPEncoding

    /// Messages nested deeper than this are refused (an `AnyValue` inside a key-value
    /// list inside an `AnyValue`… costs three levels each time).
    public static let maximumDepth = 64

    /// Decodes `bytes`; throws a message for the client when they are not one request
    /// of `signal` in `encoding`. Unknown fields are skipped, as OTLP asks of receivers.
    public init(_ bytes: [UInt8], signal: OTLPSignal, encoding: OTLPEncoding) throws(IngestError) {
        self.encoding = encoding
        do {
            switch (signal, encoding) {
            case (.logs, .protobuf): body = .logs(try OTLPLogsRequest(serializedBytes: bytes, options: Self.binaryOptions))
            case (.traces, .protobuf): body = .traces(try OTLPTracesRequest(serializedBytes: bytes, options: Self.binaryOptions))
            case (.logs, .json): body = .logs(try OTLPLogsRequest(jsonUTF8Bytes: bytes, options: Self.jsonOptions))
            case (.traces, .json): body = .traces(try OTLPTracesRequest(jsonUTF8Bytes: bytes, options: Self.jsonOptions))
            }
        } catch {
            let what = signal == .logs ? "ExportLogsServiceRequest" : "ExportTraceServiceRequest"
            let encoded = encoding == .json ? "OTLP JSON" : "protobuf"
            throw IngestError("the body is not an \(what) in \(encoded): \(Self.describe(error))")
        }
    }

    private static var binaryOptions: BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = maximumDepth
        return options
    }

    private static var jsonOptions: JSONDecodingOptions {
        var options = JSONDecodingOptions()
        options.messageDepthLimit = maximumDepth
        options.ignoreUnknownFields = true
        return options
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case BinaryDecodingError.messageDepthLimit, JSONDecodingError.messageDepthLimit:
            "messages nested deeper than \(maximumDepth)"
        case BinaryDecodingError.truncated, JSONDecodingError.truncated:
            "it ends in the middle of a value"
        case BinaryDecodingError.invalidUTF8, JSONDecodingError.invalidUTF8:
            "a string is not UTF-8"
        case BinaryDecodingError.malformedProtobuf:
            "malformed protobuf"
        case JSONDecodingError.malformedString:
            "a malformed string (trace and span ids are hex: 32 and 16 digits)"
        default:
            "\(error)"
        }
    }

    /// Log records (`/v1/logs`), or spans and their events (`/v1/traces`): the items the
    /// per-request limit counts.
    public var itemCount: Int {
        switch body {
        case .logs(let request):
            request.resourceLogs.reduce(0) { $0 + $1.scopeLogs.reduce(0) { $0 + $1.logRecords.count } }
        case .traces(let request):
            request.resourceSpans.reduce(0) { total, resource in
                total + resource.scopeSpans.reduce(0) { $0 + $1.spans.reduce(0) { $0 + 1 + $1.events.count } }
            }
        }
    }
}
