import Testing

@testable import FirebellCore

extension Event {
    /// Every field as UTF-8 bytes. `==` on `String` compares canonical equivalents equal,
    /// which would hide a fast path that spells a value differently; bytes don't. Tags
    /// sorted (a dictionary's order is its own), the timestamp to the last bit. Compare
    /// `==` too: it sees any field these bytes leave out.
    var exactBytes: [UInt8] {
        var fields = [eventID, "\(timestamp.timeIntervalSinceReferenceDate)", level.rawValue]
        fields += [message, environment, service, release, platform, url, logger, dist, serverName, formattedMessage].map(text)
        if let exception {
            fields += [text(exception.type), text(exception.value)]
            for frame in exception.stacktrace {
                fields += [frame.module, frame.function, frame.filename].map(text) + ["\(frame.lineno as Int?)", "\(frame.inApp as Bool?)"]
            }
        }
        fields += (fingerprint ?? ["(no fingerprint)"])
        fields += tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        fields += [user?.id, user?.email, user?.username, user?.ipAddress].map(text)
        return Array(fields.joined(separator: "\u{1}").utf8)
    }

    private func text(_ string: String?) -> String {
        string ?? "(nil)"
    }
}

extension Result where Success == [Event], Failure == IngestError {
    /// The events' `exactBytes`, or the error message's.
    var exactBytes: [UInt8] {
        switch self {
        case .success(let events): events.flatMap { $0.exactBytes + [0] }
        case .failure(let error): Array(error.message.utf8)
        }
    }
}

/// Records an issue unless both answers are the same events, byte for byte, or the same
/// error. (A plain check, not `#expect`, which costs too much for thousands of variations.)
func expectSame(
    _ actual: Result<[Event], IngestError>, _ expected: Result<[Event], IngestError>, _ name: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual != expected || actual.exactBytes != expected.exactBytes else { return }
    Issue.record("\(name): \(actual) is not \(expected)", sourceLocation: sourceLocation)
}
