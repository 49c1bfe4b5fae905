import Foundation

/// Go's goroutine dump, as `runtime.Stack` writes it (what the Go SDK records, cut at
/// 2048 bytes) and as an unrecovered panic prints it:
///
///     goroutine 1 [running]:
///     github.com/shop/checkout/pay.(*Charger).Charge(0xc0000c1d20, {0xc0000a4290, 0xd, 0xd})
///         /srv/shop-go/pay/charger.go:24 +0x7b
///     main.main()
///         /srv/shop-go/main.go:20 +0x116
///
/// Each frame is a function line and a tab-indented `file:line` line; innermost first,
/// so the frames are reversed. Only the first goroutine is read (the one that recorded
/// or panicked); a frame cut off by the 2048-byte cap is left out.
enum GoStackTrace {
    static func frames(_ lines: [Substring]) -> [Frame] {
        var frames: [Frame] = []
        var function: Substring?
        var started = false
        for line in lines {
            if line.hasPrefix("goroutine ") && line.hasSuffix(":") {
                if started { break }
                started = true
                continue
            }
            if line.trimmed.isEmpty {
                if !frames.isEmpty { break }
                continue
            }
            if line.hasPrefix("\t") {
                if let name = function, let frame = frame(function: name, location: line.trimmed) {
                    frames.append(frame)
                }
                function = nil
            } else {
                function = functionName(line)
            }
        }
        return frames.reversed()
    }

    /// `pkg/path.Type.method(args…)` → `pkg/path.Type.method`; `created by main.main in
    /// goroutine 1` → `main.main` (the goroutine's creator, its outermost frame).
    private static func functionName(_ line: Substring) -> Substring? {
        if line.hasPrefix("created by ") {
            let name = line.dropFirst(11)
            return name.range(of: " in goroutine ").map { name[..<$0.lowerBound] } ?? name
        }
        guard let open = line.openingOfTrailingGroup, open > line.startIndex else { return nil }
        return line[..<open]
    }

    /// `/path/file.go:24 +0x7b` with the function it belongs to.
    private static func frame(function: Substring, location: Substring) -> Frame? {
        var location = location
        if let space = location.lastIndex(of: " "), location[location.index(after: space)...].hasPrefix("+0x") {
            location = location[..<space]
        }
        guard let (file, line) = location.splitLineNumber, file.hasSuffix(".go") || file.hasSuffix(".s") else { return nil }
        // The package path ends at the first dot after the last slash:
        // `github.com/shop/checkout/pay.(*Charger).Charge` → `github.com/shop/checkout/pay`.
        let lastSlash = function.lastIndex(of: "/").map(function.index(after:)) ?? function.startIndex
        guard let dot = function[lastSlash...].firstIndex(of: ".") else { return nil }
        let package = function[..<dot]
        return Frame(
            module: String(package), function: String(function[function.index(after: dot)...]), filename: String(file),
            lineno: line, inApp: isInApp(package: package, file: file))
    }

    /// In-app: package `main` and packages under a domain (`github.com/shop/…`), unless
    /// the file is in the module cache (`…/pkg/mod/…`) or a vendor folder, or the package
    /// is OpenTelemetry's own. The standard library's paths (`runtime`, `net/http`) have
    /// no dot in their first element.
    static func isInApp(package: Substring, file: Substring) -> Bool {
        if file.contains("/pkg/mod/") || file.contains("/vendor/") || package.hasPrefix("go.opentelemetry.io/") {
            return false
        }
        if package == "main" { return true }
        let first = package.prefix { $0 != "/" }
        return first.contains(".")
    }
}
