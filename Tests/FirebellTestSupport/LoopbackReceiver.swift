import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 receiver on 127.0.0.1, on a port the kernel picks, for the tests of
/// libcurl at the edge (FirebellCurlTests) and of the outbox's faults (FirebellDeliveryTests).
///
/// A test double documented like product code: it is real TCP, read and
/// written with plain POSIX sockets, one thread per connection, so libcurl is
/// exercised end to end. It reads one request per connection (headers, then
/// `Content-Length` bytes of body), records it, asks `respond` what to do, and
/// closes the connection unless told to hold it open.
///
/// Made with `refusing: true`, its port is bound but not listening: connections are
/// refused (ECONNREFUSED) until ``comeUp()``.
public final class LoopbackReceiver: Sendable {
    /// A request as it arrived on the wire.
    public struct Received: Sendable {
        public var method: String
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// All values of header `name`, case-insensitively.
        public func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    /// What the receiver does with a request.
    public enum Reply: Sendable {
        /// Answers after `delay` seconds with `Connection: close` and a
        /// matching `Content-Length`.
        case answer(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], delay: TimeInterval = 0)
        /// Writes these bytes as they are, then closes.
        case raw([UInt8])
        /// Never answers; the connection stays open until ``stop()``.
        case silence
    }

    public let port: Int
    /// Each request, as soon as it has been read in full.
    public let arrivals: AsyncStream<Received>

    private let listener: Int32
    private let respond: @Sendable (Received) -> Reply
    private let arrivalSink: AsyncStream<Received>.Continuation
    private let heldConnections = Mutex<[Int32]>([])
    private let stopped = Mutex(false)

    private let listening = Mutex(false)
    /// Every request read so far.
    private let log = Mutex<[Received]>([])

    public init(refusing: Bool = false, respond: @escaping @Sendable (Received) -> Reply) throws {
        self.respond = respond
        (arrivals, arrivalSink) = AsyncStream.makeStream(of: Received.self)
        listener = try Self.listenOnLoopback(listen: !refusing)
        port = try Self.localPort(of: listener)
        if !refusing { comeUp() }
    }

    /// Starts taking connections (a receiver made `refusing` comes up).
    public func comeUp() {
        let start = listening.withLock { listening in
            defer { listening = true }
            return !listening
        }
        guard start else { return }
        _ = listen(listener, 128)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// How many requests have been read in full.
    public var count: Int { log.withLock { $0.count } }
    public var received: [Received] { log.withLock { $0 } }

    /// Closes the listener and every held connection.
    public func stop() {
        let wasStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        // shutdown() wakes the thread blocked in accept(); it then closes.
        _ = shutdown(listener, Int32(SHUT_RDWR))
        if !listening.withLock({ $0 }) { close(listener) }
        for fd in heldConnections.withLock({ held in defer { held = [] }; return held }) {
            close(fd)
        }
        arrivalSink.finish()
    }

    deinit {
        stop()
    }

    public func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }

    // MARK: - Serving

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                break
            }
            Thread.detachNewThread { [self] in serve(fd) }
        }
        close(listener)
    }

    private func serve(_ fd: Int32) {
        guard let request = Self.readRequest(fd) else {
            close(fd)
            return
        }
        log.withLock { $0.append(request) }
        arrivalSink.yield(request)
        switch respond(request) {
        case .silence:
            let keep = heldConnections.withLock { held -> Bool in
                guard !stopped.withLock({ $0 }) else { return false }
                held.append(fd)
                return true
            }
            if !keep { close(fd) }
        case .raw(let bytes):
            Self.writeAll(fd, bytes)
            close(fd)
        case .answer(let status, let headers, let body, let delay):
            if delay > 0 {
                Thread.sleep(forTimeInterval: delay)
            }
            var head = "HTTP/1.1 \(status) Reason\r\n"
            for (name, value) in headers {
                head += "\(name): \(value)\r\n"
            }
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            Self.writeAll(fd, Array(head.utf8) + body)
            close(fd)
        }
    }

    // MARK: - Socket plumbing

    public struct SocketError: Error, CustomStringConvertible {
        var call: String
        var errno: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
    }

    /// A TCP socket bound to 127.0.0.1 on a kernel-chosen port; listening
    /// unless `listen` is false, in which case connecting to it is refused.
    public static func listenOnLoopback(listen shouldListen: Bool = true) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let error = SocketError(call: "bind", errno: errno)
            close(fd)
            throw error
        }
        if shouldListen {
            guard listen(fd, 128) == 0 else {
                let error = SocketError(call: "listen", errno: errno)
                close(fd)
                throw error
            }
        }
        return fd
    }

    public static func localPort(of fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard got == 0 else { throw SocketError(call: "getsockname", errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Reads one request: the head up to CRLFCRLF, then `Content-Length`
    /// bytes of body. Nil when the peer goes away first.
    private static func readRequest(_ fd: Int32) -> Received? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        func readMore() -> Bool {
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
        }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            guard readMore() else { return nil }
            headEnd = buffer.indices.dropLast(3).first { buffer[$0..<$0 + 4].elementsEqual(separator) }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                name: String(line[..<colon]),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            )
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count - bodyStart < length {
            guard readMore() else { return nil }
        }
        return Received(
            method: String(requestLine[0]),
            target: String(requestLine[1]),
            headers: headers,
            body: Array(buffer[bodyStart..<bodyStart + length])
        )
    }
}
