import FirebellTestSupport
import FirebellCurl
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real libcurl against real loopback sockets; no mocks.
@Suite(.timeLimit(.minutes(1)))
struct CurlMultiLoopTests {
    let loop = CurlMultiLoop(logger: Logger(label: "test.firebell.curl"))

    /// Runs `body` and always shuts the loop down, so a failed expectation
    /// cannot leak the curl thread.
    private func withLoop<T>(_ body: (CurlMultiLoop) async throws -> T) async rethrows -> T {
        defer { loop.shutdown() }
        return try await body(loop)
    }

    /// Awaits a request and returns its error, failing the test if it succeeded.
    private func failure(of request: HTTPRequest, on loop: CurlMultiLoop) async -> CurlError? {
        do {
            let response = try await loop.perform(request)
            Testing.Issue.record("expected an error, got status \(response.status)")
            return nil
        } catch {
            return error
        }
    }

    @Test func postWithJSONBodyAndHeadersReachesReceiverByteExact() async throws {
        let receiver = try LoopbackReceiver { _ in .answer(status: 202) }
        defer { receiver.stop() }
        let body = Array(#"{"text":"disk full on db-1 — ünïcödé","n":[1,2,3]}"#.utf8) + [0x00, 0xFF]
        try await withLoop { loop in
            var arrivals = receiver.arrivals.makeAsyncIterator()
            let response = try await loop.perform(HTTPRequest(
                url: receiver.url("/hooks/abc?x=1&y=%20"),
                headers: [("Content-Type", "application/json"), ("X-Firebell-Signature", "sha256=deadbeef"), ("X-Empty", "")],
                body: body
            ))
            #expect(response.status == 202)
            let received = try #require(await arrivals.next())
            #expect(received.method == "POST")
            #expect(received.target == "/hooks/abc?x=1&y=%20")
            #expect(received.body == body)
            #expect(received.values("content-type") == ["application/json"])
            #expect(received.values("x-firebell-signature") == ["sha256=deadbeef"])
            #expect(received.values("x-empty") == [""])
            #expect(received.values("content-length") == ["\(body.count)"])
            #expect(received.values("user-agent") == ["firebell/0.1"])
            #expect(received.values("expect").isEmpty)
        }
    }

    @Test func statusBodyAndResponseHeadersComeBack() async throws {
        let receiver = try LoopbackReceiver { _ in
            .answer(
                status: 429,
                headers: [("Retry-After", "7"), ("X-Dup", "first"), ("x-dup", "last")],
                body: Array("slow down".utf8)
            )
        }
        defer { receiver.stop() }
        try await withLoop { loop in
            let response = try await loop.perform(HTTPRequest(url: receiver.url("/"), body: Array("{}".utf8)))
            #expect(response.status == 429)
            #expect(response.header("retry-after") == "7")
            #expect(response.header("RETRY-AFTER") == "7")
            #expect(response.header("X-DUP") == "last")
            #expect(response.header("Missing") == nil)
            #expect(response.bodyText == "slow down")
            #expect(!response.isBodyTruncated)
        }
    }

    @Test func interimResponseHeadersAreDropped() async throws {
        let raw = "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        let receiver = try LoopbackReceiver { _ in .raw(Array(raw.utf8)) }
        defer { receiver.stop() }
        try await withLoop { loop in
            let response = try await loop.perform(HTTPRequest(url: receiver.url("/"), body: [1]))
            #expect(response.status == 200)
            #expect(response.header("X-Interim") == nil)
            #expect(response.header("X-Final") == "yes")
            #expect(response.bodyText == "ok")
        }
    }

    @Test func methodIsSentAsGivenAndGETHasNoBody() async throws {
        let receiver = try LoopbackReceiver { _ in .answer(status: 200) }
        defer { receiver.stop() }
        try await withLoop { loop in
            var arrivals = receiver.arrivals.makeAsyncIterator()
            _ = try await loop.perform(HTTPRequest(method: "PUT", url: receiver.url("/put"), body: Array("x".utf8)))
            let put = try #require(await arrivals.next())
            #expect(put.method == "PUT")
            #expect(put.body == Array("x".utf8))
            #expect(put.values("content-type").isEmpty)

            _ = try await loop.perform(HTTPRequest(method: "GET", url: receiver.url("/get")))
            let get = try #require(await arrivals.next())
            #expect(get.method == "GET")
            #expect(get.values("content-length").isEmpty)
            #expect(get.body.isEmpty)
        }
    }

    @Test func sixtyFourConcurrentRequestsEachGetTheirOwnAnswer() async throws {
        let receiver = try LoopbackReceiver { request in
            .answer(status: 200, body: Array("echo:".utf8) + request.body)
        }
        defer { receiver.stop() }
        try await withLoop { loop in
            try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
                for i in 0..<64 {
                    group.addTask {
                        let request = HTTPRequest(url: receiver.url("/echo/\(i)"), body: Array("request-\(i)".utf8))
                        return (i, try await loop.perform(request))
                    }
                }
                var answered = Set<Int>()
                for try await (i, response) in group {
                    #expect(response.status == 200)
                    #expect(response.bodyText == "echo:request-\(i)")
                    answered.insert(i)
                }
                #expect(answered.count == 64)
            }
        }
    }

    @Test func oversizedResponseBodyIsCappedAndTheRestDiscarded() async throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 200 * 1024)
        let receiver = try LoopbackReceiver { _ in .answer(status: 200, body: big) }
        defer { receiver.stop() }
        try await withLoop { loop in
            let response = try await loop.perform(HTTPRequest(url: receiver.url("/")))
            #expect(response.status == 200)
            #expect(response.body.count == HTTPResponse.maxBodyBytes)
            #expect(response.isBodyTruncated)
        }
    }

    @Test func silentReceiverTimesOutAsRetryable() async throws {
        let receiver = try LoopbackReceiver { _ in .silence }
        defer { receiver.stop() }
        await withLoop { loop in
            let error = await failure(of: HTTPRequest(url: receiver.url("/"), body: [1], timeout: 0.5), on: loop)
            #expect(error?.kind == .timeout)
            #expect(error?.isRetryable == true)
            #expect(error?.code == 28)
            #expect(error?.message.contains("timed out") == true)
        }
    }

    @Test func closedPortFailsToConnectAsRetryable() async throws {
        // Bound but not listening: the kernel refuses connections, and no
        // other test can be handed this port while we hold it.
        let socket = try LoopbackReceiver.listenOnLoopback(listen: false)
        defer { close(socket) }
        let port = try LoopbackReceiver.localPort(of: socket)
        await withLoop { loop in
            let error = await failure(of: HTTPRequest(url: "http://127.0.0.1:\(port)/", body: [1]), on: loop)
            #expect(error?.kind == .connect)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func nonHTTPSchemeIsRefusedAsNotRetryable() async {
        await withLoop { loop in
            let error = await failure(of: HTTPRequest(url: "ftp://127.0.0.1/x"), on: loop)
            #expect(error?.kind == .badRequest)
            #expect(error?.isRetryable == false)
        }
    }

    @Test func headerWithLineBreakIsRefusedBeforeSending() async {
        await withLoop { loop in
            let request = HTTPRequest(url: "http://127.0.0.1:1/", headers: [("X-Evil", "a\r\nX-Injected: 1")])
            let error = await failure(of: request, on: loop)
            #expect(error?.kind == .badRequest)
            #expect(error?.isRetryable == false)
        }
    }

    @Test func shutdownFailsAnInFlightRequestInsteadOfHanging() async throws {
        let receiver = try LoopbackReceiver { _ in .silence }
        defer { receiver.stop() }
        var arrivals = receiver.arrivals.makeAsyncIterator()
        let inFlight = Task { [loop] in
            try await loop.perform(HTTPRequest(url: receiver.url("/"), body: [1], timeout: 30))
        }
        _ = await arrivals.next()  // the request is on the wire; the receiver sits on it
        loop.shutdown()
        let result = await inFlight.result
        #expect(throws: CurlError.self) { try result.get() }
        #expect((result.failure as? CurlError)?.kind == .cancelled)

        let late = await failure(of: HTTPRequest(url: receiver.url("/")), on: loop)
        #expect(late?.kind == .cancelled)
        loop.shutdown()  // idempotent
    }

    @Test func runStopsTheLoopWhenCancelled() async throws {
        let receiver = try LoopbackReceiver { _ in .answer(status: 204) }
        defer { receiver.stop() }
        let service = Task { [loop] in try await loop.run() }
        let response = try await loop.perform(HTTPRequest(url: receiver.url("/")))
        #expect(response.status == 204)
        service.cancel()
        try await service.value
        let late = await failure(of: HTTPRequest(url: receiver.url("/")), on: loop)
        #expect(late?.kind == .cancelled)
    }

    @Test func slowReceiverDoesNotDelayAFastOne() async throws {
        let receiver = try LoopbackReceiver { request in
            .answer(status: 200, body: Array(request.target.utf8), delay: request.target == "/slow" ? 1.5 : 0)
        }
        defer { receiver.stop() }
        let finished = CompletionOrder()
        try await withLoop { loop in
            var arrivals = receiver.arrivals.makeAsyncIterator()
            let slow = Task {
                let response = try await loop.perform(HTTPRequest(url: receiver.url("/slow"), body: [1]))
                finished.record(response.bodyText)
            }
            _ = await arrivals.next()  // the slow one is being held by the receiver
            let fast = try await loop.perform(HTTPRequest(url: receiver.url("/fast"), body: [1]))
            finished.record(fast.bodyText)
            try await slow.value
        }
        #expect(finished.names == ["/fast", "/slow"])
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Names in the order their requests completed, recorded from any task.
private final class CompletionOrder: Sendable {
    private let order = Mutex<[String]>([])
    func record(_ name: String) { order.withLock { $0.append(name) } }
    var names: [String] { order.withLock { $0 } }
}
