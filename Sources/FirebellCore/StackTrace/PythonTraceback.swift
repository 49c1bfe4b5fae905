import Foundation

/// CPython's traceback (`traceback.format_exception`, what the Python SDK records):
///
///     Traceback (most recent call last):
///       File "/srv/shop/shop/pay.py", line 12, in charge
///         raise PaymentError(…) from error
///     shop.pay.PaymentError: card declined
///
/// Outermost frame first, as Firebell keeps them. A chained exception prints one
/// traceback per link, the exception the record names last, so each `Traceback` line
/// starts the frames afresh and the last traceback's frames are the ones kept.
/// Exception groups prefix their lines with `|` and `+`, which are skipped.
enum PythonTraceback {
    static func frames(_ lines: [Substring]) -> [Frame] {
        var frames: [Frame] = []
        for line in lines {
            let text = line.drop { $0 == " " || $0 == "\t" || $0 == "|" || $0 == "+" }
            if text.hasPrefix("Traceback (most recent call last)") {
                frames = []
            } else if let frame = frame(text) {
                frames.append(frame)
            }
        }
        return frames
    }

    /// `File "PATH", line N, in NAME`; the path may itself hold quotes and commas.
    private static func frame(_ text: Substring) -> Frame? {
        guard text.hasPrefix("File \"") else { return nil }
        let rest = text.dropFirst(6)
        guard let lineMarker = rest.range(of: "\", line ", options: .backwards) else { return nil }
        let path = rest[..<lineMarker.lowerBound]
        let afterPath = rest[lineMarker.upperBound...]
        let digits = afterPath.prefix { $0.isASCII && $0.isNumber }
        guard let lineno = Int(digits) else { return nil }
        let tail = afterPath[digits.endIndex...]
        let function = tail.hasPrefix(", in ") ? String(tail.dropFirst(5).trimmed) : nil
        return Frame(function: function, filename: String(path), lineno: lineno, inApp: isInApp(path))
    }

    /// Not in-app: installed packages (site-packages, dist-packages), the standard
    /// library (`…/lib/python3.11/…`, `…\Lib\…` on Windows) and frozen or generated
    /// code (`<frozen importlib._bootstrap>`, `<string>`).
    static func isInApp(_ path: Substring) -> Bool {
        if path.hasPrefix("<") || path.contains("site-packages") || path.contains("dist-packages") {
            return false
        }
        if path.contains("\\Lib\\") { return false }
        // …/lib/python3.11/… or …/lib/python3/…: the interpreter's own library.
        var rest = path[...]
        while let range = rest.range(of: "/lib/python") {
            let after = rest[range.upperBound...]
            if let first = after.first, first.isNumber { return false }
            rest = after
        }
        return true
    }
}
