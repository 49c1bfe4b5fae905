import Foundation

/// .NET's `Exception.ToString()` (what the .NET SDK records), as CoreCLR prints it:
///
///     System.InvalidOperationException: Payment failed
///      ---> Shop.Payments.CardDeclinedException: Issuer answered 51
///        at Shop.Payments.PaymentClient.AuthorizeAsync(String card) in /src/Shop.Payments/PaymentClient.cs:line 42
///        --- End of inner exception stack trace ---
///        at Shop.Api.Controllers.CheckoutController.Post(CheckoutRequest request) in /src/…/CheckoutController.cs:line 21
///        at lambda_method5(Closure, Object)
///     --- End of stack trace from previous location ---
///        at Microsoft.AspNetCore.Routing.EndpointMiddleware.…
///
/// Innermost frame first, so the frames are reversed. The inner exceptions' frames come
/// first, each set ended by `--- End of inner exception stack trace ---`; the exception
/// the record names is the outermost, whose frames follow the last such line. Without
/// debug symbols a frame has no ` in file:line N`.
enum DotNetStackTrace {
    static func frames(_ lines: [Substring]) -> [Frame] {
        var frames: [Frame] = []
        for line in lines {
            let text = line.trimmed
            if text.hasPrefix("--- End of inner exception stack trace") {
                frames = []
            } else if let frame = frame(text) {
                frames.append(frame)
            }
        }
        return frames.reversed()
    }

    /// `at Namespace.Type.Method(Type name, …)[ in FILE:line N]`.
    private static func frame(_ text: Substring) -> Frame? {
        guard text.hasPrefix("at ") else { return nil }
        var call = text.dropFirst(3)
        var filename: Substring?
        var lineno: Int?
        if let marker = call.range(of: ") in ", options: .backwards) {
            let location = call[marker.upperBound...]
            if let lineMarker = location.range(of: ":line ", options: .backwards),
               let line = Int(location[lineMarker.upperBound...]) {
                filename = location[..<lineMarker.lowerBound]
                lineno = line
            } else {
                filename = location
            }
            call = call[..<call.index(after: marker.lowerBound)]
        }
        guard let open = call.openingOfTrailingGroup, open > call.startIndex else { return nil }
        let parameters = call[call.index(after: open)..<call.index(before: call.endIndex)]
        // Java's `(Charger.java:15)`, `(Native Method)`, `(Unknown Source)`: not a parameter list.
        let javaLocation = parameters.contains(".") && !parameters.contains(" ") && !parameters.contains(",")
        if filename == nil, javaLocation || parameters == "Native Method" || parameters == "Unknown Source" {
            return nil
        }
        let qualified = call[..<open]
        guard !qualified.contains(" ") else { return nil }
        // `Type.Method`, `Type..ctor` (a constructor keeps its dot), or a bare `lambda_method5`.
        var split = qualified.lastIndex(of: ".")
        if let dot = split, dot > qualified.startIndex, qualified[qualified.index(before: dot)] == "." {
            split = qualified.index(before: dot)
        }
        let type = split.map { qualified[..<$0] }
        let method = split.map { qualified[qualified.index(after: $0)...] } ?? qualified
        return Frame(
            module: type.map(String.init), function: String(method), filename: filename.map(String.init), lineno: lineno,
            inApp: isInApp(qualified))
    }

    /// Namespaces of the runtime and the usual libraries, and the runtime's generated
    /// `lambda_method…`: frames there are never the app's.
    static let libraryPrefixes = [
        "System.", "Microsoft.", "lambda_method", "Newtonsoft.", "Npgsql.", "Grpc.", "Polly.", "OpenTelemetry.",
        "Swashbuckle.", "StackExchange.Redis.", "Dapper.", "MediatR.", "Serilog.", "NLog.", "Castle.",
    ]

    static func isInApp(_ qualified: Substring) -> Bool {
        !libraryPrefixes.contains { qualified.hasPrefix($0) }
    }
}
