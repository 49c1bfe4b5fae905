import Foundation

extension JSONReader {
    /// An object key. Plain ASCII keys (nearly all) stay bytes in the text and compare
    /// without allocating; keys with escapes or other characters are decoded.
    ///
    /// Points into the text being read: use it before `JSONReader.read` returns.
    struct Key {
        private enum Text {
            case ascii(UnsafeBufferPointer<UInt8>)
            case decoded(String)
        }

        private let text: Text

        init(ascii: UnsafeBufferPointer<UInt8>) {
            text = .ascii(ascii)
        }

        init(decoded: String) {
            text = .decoded(decoded)
        }

        /// The key as text, for objects whose keys are data (tags).
        var string: String {
            switch text {
            case .ascii(let bytes): String(decoding: bytes, as: UTF8.self)
            case .decoded(let string): string
            }
        }

        /// Whether the key is `name`, compared as UTF-8 bytes.
        ///
        /// For names of lowercase ASCII letters, digits and underscores (all Firebell
        /// reads) this is exactly `JSONDecoder`'s `String` comparison, which compares
        /// canonical equivalents equal: no other text is canonically equivalent to such
        /// a name. (The only canonical singletons onto ASCII are U+212A KELVIN SIGN → K,
        /// U+037E → `;` and U+1FEF → a backtick; any other non-ASCII text stays non-ASCII.)
        static func == (key: Key, name: StaticString) -> Bool {
            let expected = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            switch key.text {
            case .ascii(let bytes):
                return bytes.count == expected.count
                    && (bytes.isEmpty || memcmp(bytes.baseAddress!, expected.baseAddress!, bytes.count) == 0)
            case .decoded(let string):
                return string.utf8.elementsEqual(expected)
            }
        }

        /// Lets `switch key { case "event_id": … }` match names.
        static func ~= (name: StaticString, key: Key) -> Bool {
            key == name
        }
    }
}
