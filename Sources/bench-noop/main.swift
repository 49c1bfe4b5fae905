// The ingest ceiling for `make bench`: a Hummingbird handler that reads the body and
// answers like /v1/events, doing nothing else. Not shipped (no product names it).
import Hummingbird

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8480
let router = Router()
router.post("/v1/events") { request, _ -> Response in
    var request = request
    _ = try await request.collectBody(upTo: 1 << 20)
    return Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: #"{"id":"00000000000000000000000000000000"}"#)))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
