import FirebellCore

// Text fitting shared by the chat channels that measure in UTF-16 units (Discord, Teams,
// Mattermost, Google Chat); each passes its own escaping.

/// Line breaks of any kind become spaces: for headlines and one-line values.
func oneLine(_ text: String) -> String {
    String(text.map { $0.isNewline ? " " : $0 })
}

/// `text` escaped character by character, then cut to `limit` UTF-16 code units without
/// splitting an escape, marking the cut.
func fit(_ text: String, _ limit: Int, _ escape: (Character) -> String) -> String {
    let pieces = text.map(escape)
    let total = pieces.reduce(0) { $0 + $1.utf16.count }
    if total <= limit { return pieces.joined() }
    let marker = Truncation.marker
    guard limit > marker.utf16.count else { return "" }
    var out = ""
    var used = 0
    for piece in pieces {
        let size = piece.utf16.count
        if used + size > limit - marker.utf16.count { break }
        out += piece
        used += size
    }
    return out + marker
}

/// Already-escaped lines joined by newlines; whole lines are kept up to `limit`, then a marker line.
func fitLines(_ lines: [String], limit: Int) -> String {
    let all = lines.joined(separator: "\n")
    if all.utf16.count <= limit { return all }
    let marker = Truncation.marker
    var out: [String] = []
    var used = 0
    for line in lines {
        let size = line.utf16.count + 1
        if used + size + marker.utf16.count > limit { break }
        out.append(line)
        used += size
    }
    if out.isEmpty, let first = lines.first {
        // A single over-long line (callers cut lines first, so this is a fallback): whole characters that fit.
        var kept = ""
        for character in first {
            if kept.utf16.count + character.utf16.count + marker.utf16.count > limit { break }
            kept.append(character)
        }
        return kept + marker
    }
    return (out + [marker]).joined(separator: "\n")
}

/// The roll-up's lines, each split into its text and (for a listed alert) the issue link,
/// so the link can stay a working link while the text is escaped.
func rollUpEntries(_ rollUp: RollUp, baseURL: String) -> [(text: String, link: String?)] {
    let lines = rollUp.lines(baseURL: baseURL)
    return lines.enumerated().map { index, line in
        guard index < rollUp.alerts.count, index < RollUp.listed else { return (line, nil) }
        let link = AlertText(rollUp.alerts[index], baseURL: baseURL).link
        guard line.hasSuffix(" " + link) else { return (line, nil) }
        return (String(line.dropLast(link.count + 1)), link)
    }
}
