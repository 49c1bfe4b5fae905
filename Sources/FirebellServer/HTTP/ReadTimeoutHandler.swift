import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow or silent (`server.read_timeout`):
/// headers not complete, a body that stopped arriving, or a keep-alive connection left
/// idle. A client that was sending a request gets `408 Request Timeout` first. Without
/// this, half-sent requests held their connection (and any half-decompressed body)
/// forever. The decisions are `ReadDeadline`'s; this handler only reads the clock,
/// keeps one timer and writes the 408.
///
/// It sits after Hummingbird's HTTP/1 codec (`HTTP1Channel.Configuration.additionalChannelHandlers`),
/// so it sees request and response parts, not bytes.
final class ReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var deadline: ReadDeadline
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.deadline = ReadDeadline(timeout: timeout, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { schedule(context, at: .now() + deadline.timeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        schedule(context, at: .now() + deadline.timeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part: ReadDeadline.Part = switch unwrapInboundIn(data) {
        case .head: .head
        case .body: .body
        case .end: .end
        }
        deadline.read(part, now: .now())
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part: ReadDeadline.Part = switch unwrapOutboundIn(data) {
        case .head: .head
        case .body: .body
        case .end: .end
        }
        deadline.wrote(part, now: .now())
        context.write(data, promise: promise)
        // The keep-alive idle time starts when an answer ends.
        if part == .end { schedule(context, at: .now() + deadline.timeout) }
    }

    private func schedule(_ context: ChannelHandlerContext, at time: NIODeadline) {
        guard timer == nil else { return }
        // Handlers run on their channel's event loop, and so does this task.
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: time) {
            self.timer = nil
            self.fire(context)
        }
    }

    private func fire(_ context: ChannelHandlerContext) {
        switch deadline.check(now: .now()) {
        case .wait(let time):
            schedule(context, at: time)
        case .none:
            break
        case .close:
            context.close(promise: nil)
        case .answerTimeoutAndClose:
            let body = ByteBuffer(string: #"{"detail":"request not received within server.read_timeout; send the headers and body without pausing"}"#)
            let head = HTTPResponse(status: .requestTimeout, headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            ])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
        }
    }
}
