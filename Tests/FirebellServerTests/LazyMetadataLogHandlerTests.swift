import Logging
import Synchronization
import Testing

@testable import FirebellServer

/// The daemon's log lines must read as `StreamLogHandler`'s did.
struct LazyMetadataLogHandlerTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        /// Without the leading timestamp (seconds may tick between the two handlers).
        var withoutTimestamps: [String] { lines.withLock { $0 }.map { String($0.drop(while: { $0 != " " })) } }
    }

    @Test func writesWhatStreamLogHandlerWritesWithMetadataSetOnTheLogger() {
        let plain = Lines()
        let lazy = Lines()
        var loggers = [
            Logger(label: "firebell") { StreamLogHandler(label: $0, stream: plain, metadataProvider: nil) },
            Logger(label: "firebell") { LazyMetadataLogHandler(StreamLogHandler(label: $0, stream: lazy, metadataProvider: nil)) },
        ]
        for index in loggers.indices {
            loggers[index][metadataKey: "hb.request.id"] = "42"
            loggers[index][metadataKey: "a.first"] = "x"
            loggers[index].logLevel = .debug
            loggers[index].debug("one", metadata: ["error": "boom"])
            loggers[index][metadataKey: "a.first"] = nil
            loggers[index].info("two")
            loggers[index].trace("not written")
        }
        #expect(plain.withoutTimestamps.count == 2)
        #expect(lazy.withoutTimestamps == plain.withoutTimestamps)
        #expect(lazy.withoutTimestamps.last == " info firebell: hb.request.id=42 [FirebellServerTests] two\n")
    }

    /// Counts how often its text is asked for.
    final class Rendered: CustomStringConvertible, @unchecked Sendable {
        let count = Mutex(0)
        var description: String { count.withLock { $0 += 1 }; return "id" }
    }

    /// What the handler is for: setting metadata formats nothing until a line is written.
    @Test func settingMetadataFormatsNothingUntilALineIsWritten() {
        let lines = Lines()
        let rendered = Rendered()
        var logger = Logger(label: "firebell") { LazyMetadataLogHandler(StreamLogHandler(label: $0, stream: lines, metadataProvider: nil)) }
        for _ in 0..<3 { logger[metadataKey: "hb.request.id"] = .stringConvertible(rendered) }
        logger.debug("below the level: not written")
        #expect(rendered.count.withLock { $0 } == 0)
        logger.info("written")
        #expect(rendered.count.withLock { $0 } == 1)
        #expect(lines.withoutTimestamps == [" info firebell: hb.request.id=id [FirebellServerTests] written\n"])
    }
}
