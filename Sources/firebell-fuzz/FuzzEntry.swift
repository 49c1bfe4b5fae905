// firebell-fuzz: libFuzzer harnesses over what Firebell reads from strangers
// (`make fuzz`).
//
// One binary, one harness per run, chosen by FIREBELL_FUZZ_HARNESS (see
// `Harness`). Besides "does not crash", each harness checks what the code
// under test promises: a fast path reads what its Codable path decodes or
// gives up; the parameterizer leaves no digits and is idempotent; a body
// decompressed in chunks is the body decompressed whole. A broken promise
// stops the run with `fatalError`, which libFuzzer records as a crash.
//
// Everything is compiled only with -DFUZZING, in the fuzz build
// (`-sanitize=fuzzer,address`); a normal `swift build` gets a main that says
// so. The harnesses reach internal API (`JSONReader`, the fast paths), which
// `@testable import` allows in that debug build. It imports FirebellCore and
// FirebellCompression and nothing that does I/O.

#if FUZZING
import Foundation

/// libFuzzer's own entry point, declared in compiler-rt's `FuzzerInterface.h`.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The harness this process runs, read once.
private let harness: Harness = {
    let name = ProcessInfo.processInfo.environment["FIREBELL_FUZZ_HARNESS"] ?? ""
    guard let harness = Harness(rawValue: name) else {
        let names = Harness.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set FIREBELL_FUZZ_HARNESS to one of: \(names)")
    }
    return harness
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    harness.run(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}

/// SwiftPM links a Linux executable with `--defsym main=<module>_main` (so tests
/// can link the module), and compiler-rt's fuzzer archive brings its own `main`
/// along; defining this symbol is what lets the two agree. It does what
/// libFuzzer's `main` does.
@_cdecl("firebell_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    _ = harness
    return runFuzzerDriver(&argc, &argv, fuzzTestOneInput)
}

#else

/// Built without the fuzzer: say how to get it.
@main
enum FuzzingUnavailable {
    static func main() {
        print("firebell-fuzz was built without -DFUZZING; run `make fuzz`")
    }
}

#endif
