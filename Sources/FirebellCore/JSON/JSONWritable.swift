import Foundation

/// A type with a hand-written JSON encoder that `JSONDecoder()` reads back through the
/// type's own `Decodable` conformance to an equal value.
///
/// The output need not match `JSONEncoder`'s byte for byte (key order, `/` unescaped,
/// number spelling may differ); it must decode to the same value. The round-trip tests
/// in `FirebellCoreTests` hold each conformance to that.
public protocol JSONWritable {
    /// Writes the value as one JSON value (an object, for the model types).
    func writeJSON(to writer: inout JSONWriter)
}

extension JSONWritable {
    /// The value as compact UTF-8 JSON.
    ///
    /// - Throws: `JSONWriter.NonFiniteNumber` if it holds a NaN or infinite date or number,
    ///   as `JSONEncoder` would throw.
    public func jsonBytes() throws(JSONWriter.NonFiniteNumber) -> [UInt8] {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return try writer.finish()
    }

    /// The value as compact JSON text, for a TEXT column.
    public func jsonText() throws(JSONWriter.NonFiniteNumber) -> String {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return try writer.finishText()
    }
}
