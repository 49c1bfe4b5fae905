/// How much of what a reporter sends an `Event` keeps.
///
/// Anyone holding a project's public DSN key can send events, so nothing a client
/// sends may grow the store or the daemon's memory past a known bound: every text of
/// an `Event` is cut to a cap here, and every list and map is shortened. `Event.init`
/// applies `bounded(_:)`, and every decoder (generic JSON and Sentry, fast paths and
/// Codable paths alike) builds its events through `Event.init`, so a new decoder
/// (Alertmanager, OpenTelemetry) is bounded without a line of its own.
///
/// Over a cap an event is cut, never refused: a truncated error report is still worth
/// an alert. A cut text ends in `marker`, counted inside the cap, and is cut on a
/// `Character` boundary, so no letter, emoji or flag is split. Dropped list elements
/// and tags get no marker (there is nowhere to put one that would not be read as data).
///
/// The caps are fixed, not configuration; docs/configuration.md ("Limits") lists them.
public enum EventLimits {
    /// Ends every cut text: U+2026 HORIZONTAL ELLIPSIS, one character, three UTF-8 bytes.
    public static let marker = "…"

    // MARK: Free text, in UTF-8 bytes

    /// `message` and `formattedMessage`: 8 KiB.
    public static let message = TextLimit(bytes: 8 * 1024)
    /// `exception.value`: 8 KiB.
    public static let exceptionValue = TextLimit(bytes: 8 * 1024)

    // MARK: Names and identifiers, in characters

    /// `Event.title`, computed from the exception or the message: what alerts and lists show.
    public static let title = TextLimit(characters: 256)
    public static let eventID = TextLimit(characters: 128)
    public static let exceptionType = TextLimit(characters: 256)
    public static let environment = TextLimit(characters: 64)
    public static let service = TextLimit(characters: 128)
    public static let release = TextLimit(characters: 200)
    public static let dist = TextLimit(characters: 64)
    public static let platform = TextLimit(characters: 64)
    public static let logger = TextLimit(characters: 128)
    public static let serverName = TextLimit(characters: 256)
    public static let url = TextLimit(characters: 2048)
    /// Each frame's `module`, `function` and `filename`.
    public static let frameText = TextLimit(characters: 256)
    public static let userID = TextLimit(characters: 128)
    public static let userEmail = TextLimit(characters: 256)
    public static let username = TextLimit(characters: 128)
    public static let ipAddress = TextLimit(characters: 64)
    public static let tagKey = TextLimit(characters: 32)
    public static let tagValue = TextLimit(characters: 200)
    /// Each part of the reporter's `fingerprint`.
    public static let fingerprintPart = TextLimit(characters: 200)

    /// An envelope item type Firebell drops, as `SentryEnvelopeContents.droppedItemTypes`
    /// reports it for counting (Sentry's longest is 28 characters).
    public static let itemType = TextLimit(characters: 32)

    // MARK: Counts

    /// Frames kept of a stack trace: the innermost ones (see `bounded(_:)`).
    public static let frames = 50
    /// Tags kept of an event: the first in key order.
    public static let tags = 100
    /// Parts kept of the reporter's `fingerprint`: the first ones.
    public static let fingerprintParts = 32

    /// `event` within every cap. `Event.init` calls it; events already within the caps
    /// come back unchanged, after a check of each text's length (O(1) for most).
    public static func bounded(_ event: Event) -> Event {
        var event = event
        event.eventID = eventID.cut(event.eventID)
        event.message = event.message.map(message.cut)
        event.formattedMessage = event.formattedMessage.map(message.cut)
        event.environment = event.environment.map(environment.cut)
        event.service = event.service.map(service.cut)
        event.release = event.release.map(release.cut)
        event.dist = event.dist.map(dist.cut)
        event.platform = event.platform.map(platform.cut)
        event.logger = event.logger.map(logger.cut)
        event.serverName = event.serverName.map(serverName.cut)
        event.url = event.url.map(url.cut)
        event.exception = event.exception.map(bounded)
        event.fingerprint = event.fingerprint.map { parts in
            parts.count <= fingerprintParts && parts.allSatisfy(fingerprintPart.fits)
                ? parts : parts.prefix(fingerprintParts).map(fingerprintPart.cut)
        }
        event.tags = bounded(tags: event.tags)
        event.user = event.user.map(bounded)
        return event
    }

    /// The exception with its texts cut and its innermost `frames` frames.
    ///
    /// Frames come outermost first (`ExceptionInfo.stacktrace`), so the ones dropped are
    /// the outermost: the thread's and the framework's entry points, furthest from the
    /// crash. The innermost ones stay, and they are what `Event.inAppFrames`, an issue's
    /// culprit and top frames, and the stack-trace fingerprint read. (A Sentry chain's
    /// frames are one list, the outermost exception's last, so its frames are kept first.)
    static func bounded(_ exception: ExceptionInfo) -> ExceptionInfo {
        var exception = exception
        exception.type = exception.type.map(exceptionType.cut)
        exception.value = exception.value.map(exceptionValue.cut)
        if exception.stacktrace.count > frames || !exception.stacktrace.allSatisfy(fits) {
            exception.stacktrace = exception.stacktrace.suffix(frames).map(bounded)
        }
        return exception
    }

    private static func fits(_ frame: Frame) -> Bool {
        [frame.module, frame.function, frame.filename].allSatisfy { $0.map(frameText.fits) ?? true }
    }

    private static func bounded(_ frame: Frame) -> Frame {
        var frame = frame
        frame.module = frame.module.map(frameText.cut)
        frame.function = frame.function.map(frameText.cut)
        frame.filename = frame.filename.map(frameText.cut)
        return frame
    }

    private static func bounded(_ user: User) -> User {
        User(
            id: user.id.map(userID.cut), email: user.email.map(userEmail.cut),
            username: user.username.map(username.cut), ipAddress: user.ipAddress.map(ipAddress.cut))
    }

    /// At most `tags` tags, keys and values cut. Which ones stay must not depend on
    /// `Dictionary`'s order, which changes from run to run: the first in key order.
    /// Two keys cut to the same text keep the first one's value.
    static func bounded(tags: [String: String]) -> [String: String] {
        if tags.count <= Self.tags, tags.allSatisfy({ tagKey.fits($0.key) && tagValue.fits($0.value) }) {
            return tags
        }
        var kept: [String: String] = [:]
        kept.reserveCapacity(Self.tags)
        for key in tags.keys.sorted() {
            guard kept.count < Self.tags else { break }
            let cutKey = tagKey.cut(key)
            if kept[cutKey] == nil {
                kept[cutKey] = tagValue.cut(tags[key]!)
            }
        }
        return kept
    }
}

/// A cap on one text: at most `bytes` UTF-8 bytes and, when set, at most `characters`
/// characters (`Character`s: what a reader counts as one letter or emoji).
public struct TextLimit: Sendable, Equatable {
    public let bytes: Int
    public let characters: Int?

    /// At most `bytes` UTF-8 bytes: for long free text, where storage is what counts.
    public init(bytes: Int) {
        precondition(bytes >= Self.markerBytes, "a cap must leave room for the marker")
        self.bytes = bytes
        self.characters = nil
    }

    /// At most `characters` characters, and at most 4 bytes for each on average, so that
    /// a character built of many code points (a letter with a thousand accents is one
    /// `Character`) cannot carry more.
    public init(characters: Int) {
        precondition(characters >= 1, "a cap must leave room for the marker")
        self.bytes = 4 * characters
        self.characters = characters
    }

    private static let markerBytes = EventLimits.marker.utf8.count

    /// Whether `text` is within the cap. Counts characters only when its bytes could be too many.
    public func fits(_ text: String) -> Bool {
        let size = text.utf8.count
        guard size <= bytes else { return false }
        guard let characters, size > characters else { return true }
        return text.count <= characters
    }

    /// `text` if it fits; else its longest prefix that ends on a character boundary and,
    /// with `EventLimits.marker` appended, fits.
    public func cut(_ text: String) -> String {
        guard !fits(text) else { return text }
        let byteBudget = bytes - Self.markerBytes
        let characterBudget = (characters ?? .max) - 1
        var end = text.startIndex
        var used = 0
        var count = 0
        while end < text.endIndex, count < characterBudget {
            let next = text.index(after: end)
            let size = text.utf8.distance(from: end, to: next)
            guard used + size <= byteBudget else { break }
            used += size
            count += 1
            end = next
        }
        return text[..<end] + EventLimits.marker
    }
}
