/// Frames from a stack trace as a language's runtime prints it: what OpenTelemetry SDKs
/// record as `exception.stacktrace` (Python's `traceback`, Java's `printStackTrace`,
/// V8's `error.stack`, Go's `runtime.Stack`, .NET's `Exception.ToString()`).
///
/// Parsed into `Frame`s, each marked in-app or not, so an OTLP exception groups by its
/// in-app frames as a Sentry event does (`Fingerprinter`). Each language has one parser
/// that recognises only its own frame lines; a text none of them reads gives `nil`, and
/// the caller keeps it as text instead.
public enum StackTraceText {
    /// The formats understood, named as OpenTelemetry's `telemetry.sdk.language` names
    /// the SDK that printed them (see `init(sdkLanguage:)`).
    public enum Language: String, Sendable, CaseIterable {
        case python, java, javascript, go, dotnet

        /// The format an SDK's `telemetry.sdk.language` prints; nil for the others.
        public init?(sdkLanguage: String) {
            switch sdkLanguage.lowercased() {
            case "python": self = .python
            case "java", "kotlin", "scala": self = .java
            case "nodejs", "webjs", "javascript", "js": self = .javascript
            case "go": self = .go
            case "dotnet", "csharp", "c#", "fsharp": self = .dotnet
            default: return nil
            }
        }

        func frames(_ lines: [Substring]) -> [Frame]? {
            let frames: [Frame] = switch self {
            case .python: PythonTraceback.frames(lines)
            case .java: JavaStackTrace.frames(lines)
            case .javascript: JavaScriptStackTrace.frames(lines)
            case .go: GoStackTrace.frames(lines)
            case .dotnet: DotNetStackTrace.frames(lines)
            }
            return frames.isEmpty ? nil : frames
        }
    }

    /// The frames of `text`, outermost first (as `ExceptionInfo.stacktrace` holds them),
    /// or nil when no format here reads any frame of it.
    ///
    /// `language` (the SDK's `telemetry.sdk.language`) is tried first. Without it, or
    /// when its parser reads nothing, every parser reads the text and the one that
    /// reads most frames wins: their frame lines barely overlap (Java's `at` lines name
    /// a file with an extension, .NET's list parameters, V8's end in line:column).
    public static func frames(_ text: String, language: Language? = nil) -> [Frame]? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if let language, let frames = language.frames(lines) {
            return frames
        }
        var best: [Frame]?
        for candidate in Language.allCases where candidate != language {
            if let frames = candidate.frames(lines), frames.count > best?.count ?? 0 {
                best = frames
            }
        }
        return best
    }
}

extension Substring {
    /// Without the spaces and tabs at either end.
    var trimmed: Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = self[start...].lastIndex { $0 != " " && $0 != "\t" }.map(index(after:)) ?? start
        return self[start..<end]
    }

    /// `path:line` split at its last colon; nil unless what follows it is a line number.
    var splitLineNumber: (path: Substring, line: Int)? {
        guard let colon = lastIndex(of: ":"), let line = Int(self[index(after: colon)...]) else { return nil }
        return (self[..<colon], line)
    }

    /// The index of the `(` that opens the parenthesised group this text ends with
    /// (`f(a, (b))` → the first `(`), or nil if it does not end with `)`.
    var openingOfTrailingGroup: Index? {
        guard last == ")" else { return nil }
        var depth = 0
        var index = endIndex
        while index > startIndex {
            index = self.index(before: index)
            switch self[index] {
            case ")": depth += 1
            case "(":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
