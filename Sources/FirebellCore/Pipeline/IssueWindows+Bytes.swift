import Foundation

// The stored form of `IssueWindows`: a version byte, then the ticks and the users,
// each as a count and entries of (time as a zigzag varint delta from the previous
// entry's, then the tick's count or the user's UTF-8 length and bytes). A few bytes
// an entry: an issue row stays small however busy the issue is.

extension IssueWindows {
    private static let version: UInt8 = 1

    /// Bytes for the store.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.reserveCapacity(1 + events.count * 4 + users.count * 16)
        Self.put(UInt64(events.count), into: &bytes)
        var previous: Int64 = 0
        for tick in events {
            Self.put(Self.zigzag(tick.millisecond - previous), into: &bytes)
            Self.put(UInt64(tick.count), into: &bytes)
            previous = tick.millisecond
        }
        Self.put(UInt64(users.count), into: &bytes)
        previous = 0
        for sighting in users {
            Self.put(Self.zigzag(sighting.millisecond - previous), into: &bytes)
            let utf8 = Array(sighting.user.utf8)
            Self.put(UInt64(utf8.count), into: &bytes)
            bytes += utf8
            previous = sighting.millisecond
        }
        return bytes
    }

    /// Reads what ``encoded()`` wrote; nil for anything else (the caller starts empty).
    public init?(bytes: some Collection<UInt8>) {
        var reader = Reader(bytes: Array(bytes))
        guard reader.byte() == Self.version, let tickCount = reader.varint(), tickCount <= UInt64(bytes.count) else { return nil }
        var events: [Tick] = []
        var time: Int64 = 0
        for _ in 0..<tickCount {
            guard let delta = reader.varint(), let count = reader.varint(), count <= UInt64(Int.max) else { return nil }
            time &+= Self.unzigzag(delta)
            events.append(Tick(millisecond: time, count: Int(count)))
        }
        guard let userCount = reader.varint(), userCount <= UInt64(bytes.count) else { return nil }
        var users: [Sighting] = []
        time = 0
        for _ in 0..<userCount {
            guard let delta = reader.varint(), let length = reader.varint(), let utf8 = reader.take(length) else { return nil }
            time &+= Self.unzigzag(delta)
            users.append(Sighting(user: String(decoding: utf8, as: UTF8.self), millisecond: time))
        }
        guard reader.atEnd else { return nil }
        self.init(events: events, users: users)
    }

    private static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    private static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    private static func put(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = byte() {
                guard shift < 64 else { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func take(_ count: UInt64) -> ArraySlice<UInt8>? {
            guard count <= UInt64(bytes.count - offset) else { return nil }
            defer { offset += Int(count) }
            return bytes[offset..<offset + Int(count)]
        }
    }
}
