import Logging

/// `StreamLogHandler`'s lines, with metadata formatted only when a line is written.
///
/// Hummingbird gives every request's logger its request id, and `StreamLogHandler`
/// sorts and formats all of its metadata on every such set: ~4 % of the request side
/// under load, for lines that are almost never written. Here a set only stores.
public struct LazyMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ stream: StreamLogHandler) {
        self.stream = stream
        self.metadata = stream.metadata
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var stream = self.stream
        stream.metadata = metadata
        stream.log(event: event)
    }
}
