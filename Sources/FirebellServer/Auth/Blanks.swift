extension BidirectionalCollection<UInt8> {
    /// Without the spaces and tabs at either end: how header values are trimmed here,
    /// by bytes, as auth headers are read on every ingest request.
    func trimmingBlanks() -> SubSequence {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
