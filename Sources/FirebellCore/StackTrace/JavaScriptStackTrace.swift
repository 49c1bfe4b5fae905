/// JavaScript's `error.stack` (what the JS SDKs record), as V8 prints it (Node.js,
/// Chrome, Deno, Bun):
///
///     TypeError: negative price for a
///         at /srv/shop-node/src/pay.js:7:31
///         at Array.map (<anonymous>)
///         at charge (/srv/shop-node/src/pay.js:6:30)
///         at async main (/srv/shop-node/src/server.js:14:5)
///         at Module._compile (node:internal/modules/cjs/loader:1521:14)
///
/// and as Firefox and Safari print it (`charge@https://shop.example/app.js:6:30`).
/// Innermost frame first, so the frames are reversed.
enum JavaScriptStackTrace {
    static func frames(_ lines: [Substring]) -> [Frame] {
        var frames: [Frame] = []
        for line in lines {
            if let frame = frame(line.trimmed) {
                frames.append(frame)
            }
        }
        return frames.reversed()
    }

    private static func frame(_ text: Substring) -> Frame? {
        if text.hasPrefix("at ") {
            return v8Frame(text.dropFirst(3))
        }
        // `function@location` (SpiderMonkey, JavaScriptCore); the function may be empty.
        guard let at = text.firstIndex(of: "@"), !text.contains(" "),
              let location = location(text[text.index(after: at)...])
        else { return nil }
        let function = text[..<at]
        return frame(function: function.isEmpty ? nil : function, location)
    }

    /// `function (location)` or a bare `location`; `async` and `new` are the call's, not the name's.
    private static func v8Frame(_ text: Substring) -> Frame? {
        var text = text
        if text.hasPrefix("async ") { text = text.dropFirst(6) }
        guard let open = text.openingOfTrailingGroup, open > text.startIndex,
              text[text.index(before: open)] == " "
        else {
            return location(text).map { frame(function: nil, $0) }
        }
        let function = text[..<text.index(before: open)]
        let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
        guard let location = location(inside) else {
            // `Array.map (<anonymous>)`, `Promise.all (index 0)`, `eval (eval at …)`: the
            // engine's own or generated code, with no file to point at.
            return Frame(function: String(function), inApp: false)
        }
        return frame(function: function, location)
    }

    /// `path:line:column`, the path an absolute file, a URL or `node:internal/…`.
    private static func location(_ text: Substring) -> (path: Substring, line: Int)? {
        guard let (withLine, _) = text.splitLineNumber, let (path, line) = withLine.splitLineNumber, !path.isEmpty,
              !path.contains(" ")
        else { return nil }
        return (path, line)
    }

    private static func frame(function: Substring?, _ location: (path: Substring, line: Int)) -> Frame {
        var path = location.path
        if path.hasPrefix("file://") { path = path.dropFirst(7) }
        return Frame(
            function: function.map(String.init), filename: String(path), lineno: location.line, inApp: isInApp(path))
    }

    /// Not in-app: installed packages (`node_modules`), Node's own modules (`node:…`,
    /// `internal/…`), and the engine's (`<anonymous>`, `native`).
    static func isInApp(_ path: Substring) -> Bool {
        !(path.contains("/node_modules/") || path.contains("\\node_modules\\") || path.hasPrefix("node:")
            || path.hasPrefix("internal/") || path.hasPrefix("<") || path == "native")
    }
}
