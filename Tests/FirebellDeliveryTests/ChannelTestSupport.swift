import FirebellCurl
import Foundation
import Testing

@testable import FirebellDelivery

// Helpers the chat channels' tests share.

func unescaped(_ text: String, contains needle: String) -> Bool {
    var search = text[...]
    while let range = search.range(of: needle) {
        let before = text[..<range.lowerBound]
        if !before.hasSuffix("\\") { return true }
        search = text[range.upperBound...]
    }
    return false
}

func request(_ message: ChannelMessage) throws -> HTTPRequest {
    guard case .http(let request) = message else { throw NotHTTP() }
    return request
}

struct NotHTTP: Error {}

func json(_ request: HTTPRequest) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
}

/// Every string anywhere in a decoded JSON value.
func strings(in value: Any) -> [String] {
    switch value {
    case let string as String: [string]
    case let array as [Any]: array.flatMap { strings(in: $0) }
    case let object as [String: Any]: object.values.flatMap { strings(in: $0) }
    default: []
    }
}
