/// Sentry event ids: UUIDs, sent as 32 hex digits or in the 36-character dashed form
/// (develop.sentry.dev/sdk/envelopes/, "Prerequisites": "UUIDs are declared as
/// either 32 character hexadecimal strings without dashes … or 36 character strings with
/// dashes"). Firebell keeps one spelling so a retried event is recognized either way.
enum SentryEventID {
    /// 32 lowercase hex digits, or `nil` if `text` is not a UUID in either form.
    static func normalize(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        switch bytes.count {
        case 32:
            hex = bytes
        case 36:
            for (index, byte) in bytes.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard byte == UInt8(ascii: "-") else { return nil }
                } else {
                    hex.append(byte)
                }
            }
        default:
            return nil
        }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(32)
        for byte in hex {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                lowered.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                lowered.append(byte + 0x20)
            default:
                return nil
            }
        }
        return String(decoding: lowered, as: UTF8.self)
    }
}
