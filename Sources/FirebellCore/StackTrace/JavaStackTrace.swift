/// The JVM's `Throwable.printStackTrace` (Java, Kotlin, Scala; what the Java agent records):
///
///     com.shop.pay.Charger$PaymentException: card declined
///         at com.shop.pay.Charger.charge(Charger.java:15)
///         at java.base/java.lang.Thread.run(Thread.java:840)
///     Caused by: java.lang.NumberFormatException: For input string: "ten"
///         at …
///         ... 3 more
///
/// Innermost frame first, so the frames are reversed. Only the exception the record
/// names, the first one, is read: its frames end at its first `Caused by:` or
/// `Suppressed:`.
enum JavaStackTrace {
    static func frames(_ lines: [Substring]) -> [Frame] {
        var frames: [Frame] = []
        for line in lines {
            let text = line.trimmed
            if text.hasPrefix("Caused by:") || text.hasPrefix("Suppressed:") { break }
            if let frame = frame(text) {
                frames.append(frame)
            }
        }
        return frames.reversed()
    }

    /// `at [loader/][module@version/]package.Class.method(File.java:N)`, where the
    /// parentheses hold a file name with its extension, optionally `:line`, or
    /// `Native Method` / `Unknown Source`.
    private static func frame(_ text: Substring) -> Frame? {
        guard text.hasPrefix("at "), let open = text.openingOfTrailingGroup else { return nil }
        var qualified = text[text.index(text.startIndex, offsetBy: 3)..<open]
        let location = text[text.index(after: open)..<text.index(before: text.endIndex)]
        // `java.base/java.lang.Thread.run`, `app//com.shop.Main.main`: the loader and module go.
        if let slash = qualified.lastIndex(of: "/") {
            qualified = qualified[qualified.index(after: slash)...]
        }
        guard let dot = qualified.lastIndex(of: "."), dot > qualified.startIndex,
              !qualified.contains(where: { $0 == " " || $0 == "(" })
        else { return nil }
        let className = qualified[..<dot]
        let method = qualified[qualified.index(after: dot)...]
        guard !method.isEmpty else { return nil }
        var filename: Substring?
        var lineno: Int?
        switch location {
        case "Native Method", "Unknown Source":
            break
        default:
            let file = location.splitLineNumber?.path ?? location
            guard let extensionDot = file.lastIndex(of: "."), extensionDot > file.startIndex,
                  !file.contains(where: { $0 == " " || $0 == "," || $0 == ":" })
            else { return nil }
            filename = file
            lineno = location.splitLineNumber?.line
        }
        return Frame(
            module: String(className), function: String(method), filename: filename.map(String.init), lineno: lineno,
            inApp: isInApp(className))
    }

    /// Packages of the JDK, the JVM languages' runtimes and the usual frameworks:
    /// frames there are never the app's.
    static let libraryPrefixes = [
        "java.", "javax.", "jakarta.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "scala.", "groovy.",
        "android.", "androidx.", "dalvik.", "com.android.", "org.springframework.", "org.apache.", "org.eclipse.jetty.",
        "io.netty.", "reactor.", "io.micrometer.", "io.opentelemetry.", "org.hibernate.", "com.fasterxml.",
        "org.junit.", "org.gradle.", "io.undertow.", "io.ktor.", "akka.", "okhttp3.", "retrofit2.",
    ]

    static func isInApp(_ className: Substring) -> Bool {
        !libraryPrefixes.contains { className.hasPrefix($0) }
    }
}
