import FirebellOTLPProto
import Foundation
import SwiftProtobuf

/// The bodies of OTLP/HTTP answers, in the request's encoding: `Export…ServiceResponse`
/// on success (with `partialSuccess` when exceptions were refused), and
/// `google.rpc.Status` for every error.
public enum OTLPResponse {
    /// The success body: empty (`{}` in JSON) when everything was accepted.
    public static func success(_ signal: OTLPSignal, export: OTLPExport, encoding: OTLPEncoding) -> [UInt8] {
        let message = export.rejection.map { "\($0)\(export.rejected > 1 ? " (and \(export.rejected - 1) more)" : "")" } ?? ""
        switch signal {
        case .logs:
            var response = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse()
            if export.rejected > 0 {
                response.partialSuccess.rejectedLogRecords = Int64(export.rejected)
                response.partialSuccess.errorMessage = message
            }
            return encoded(response, encoding)
        case .traces:
            var response = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse()
            if export.rejected > 0 {
                response.partialSuccess.rejectedSpans = Int64(export.rejected)
                response.partialSuccess.errorMessage = message
            }
            return encoded(response, encoding)
        }
    }

    /// A `google.rpc.Status` with gRPC's `code` (3 INVALID_ARGUMENT, 16 UNAUTHENTICATED, …) and the message.
    public static func status(code: Int32, message: String, encoding: OTLPEncoding) -> [UInt8] {
        var status = Google_Rpc_Status()
        status.code = code
        status.message = message
        return encoded(status, encoding)
    }

    private static func encoded(_ message: some SwiftProtobuf.Message, _ encoding: OTLPEncoding) -> [UInt8] {
        // Encoding a message built here cannot fail (no Any, no unknown types).
        switch encoding {
        case .protobuf: (try? message.serializedBytes()) ?? []
        case .json: (try? message.jsonUTF8Bytes()) ?? Array("{}".utf8)
        }
    }
}
