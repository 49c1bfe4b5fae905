import Foundation
import Testing

@testable import FirebellCore

/// Each language's parser on stack traces its runtime really printed (Fixtures/StackTraces,
/// whose README says how each was made): frames outermost first, in-app marked.
@Suite("Stack trace text")
struct StackTraceTextTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/StackTraces").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// `function file:line in-app` per frame, the way the assertions read them.
    static func summary(_ frames: [Frame]?) -> [String] {
        (frames ?? []).map { frame in
            let module = frame.module.map { "\($0)." } ?? ""
            let place = frame.filename.map { " \($0):\(frame.lineno.map(String.init) ?? "?")" } ?? ""
            return "\(module)\(frame.function ?? "?")\(place)\(frame.inApp == true ? " app" : "")"
        }
    }

    @Test(arguments: [StackTraceText.Language.python, nil])
    func pythonKeepsTheLastTracebackOfAChainAndMarksSitePackagesAsLibrary(_ language: StackTraceText.Language?) throws {
        let frames = StackTraceText.frames(try Self.fixture("python.txt"), language: language)
        #expect(Self.summary(frames) == [
            "main /srv/shop/shop/web.py:12 app",
            "checkout /srv/shop/shop/web.py:7 app",
            "charge /srv/shop/shop/pay.py:12 app",
        ])
    }

    @Test func pythonStandardLibraryFramesAreNotInApp() throws {
        let frames = StackTraceText.frames(try Self.fixture("python-stdlib.txt"), language: .python)
        #expect(Self.summary(frames) == [
            "<module> /srv/shop/shop/feed.py:10 app",
            "load_feed /srv/shop/shop/feed.py:6 app",
            "loads /usr/lib/python3.11/json/__init__.py:346",
            "decode /usr/lib/python3.11/json/decoder.py:337",
            "raw_decode /usr/lib/python3.11/json/decoder.py:353",
        ])
    }

    @Test func pythonInAppRules() {
        #expect(PythonTraceback.isInApp("/srv/app/shop/pay.py"))
        #expect(!PythonTraceback.isInApp("/venv/lib/python3.12/site-packages/django/core/handlers/base.py"))
        #expect(!PythonTraceback.isInApp("/usr/lib/python3/dist-packages/requests/api.py"))
        #expect(!PythonTraceback.isInApp("/usr/local/lib/python3.11/logging/__init__.py"))
        #expect(!PythonTraceback.isInApp("<frozen importlib._bootstrap>"))
        #expect(!PythonTraceback.isInApp(#"C:\Python311\Lib\json\decoder.py"#))
        #expect(PythonTraceback.isInApp("/srv/lib/pythonic/app.py"))
    }

    @Test(arguments: [StackTraceText.Language.java, nil])
    func javaReadsTheReportedExceptionInnermostLastAndLeavesTheCause(_ language: StackTraceText.Language?) throws {
        let frames = StackTraceText.frames(try Self.fixture("java.txt"), language: language)
        #expect(Self.summary(frames) == [
            "java.lang.Thread.run Thread.java:840",
            "com.shop.web.Checkout.lambda$main$0 Checkout.java:16 app",
            "com.shop.web.Checkout.post Checkout.java:10 app",
            "com.shop.pay.Charger.charge Charger.java:15 app",
        ])
    }

    @Test func kotlinAndNativeFramesReadAsJava() {
        let text = """
            java.lang.IllegalStateException: card declined
            \tat com.shop.pay.ChargerKt.charge(Charger.kt:13)
            \tat com.shop.pay.ChargerKt$charge$1.invokeSuspend(Charger.kt:9)
            \tat kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith(ContinuationImpl.kt:33)
            \tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
            \tat app//com.shop.Main.main(Unknown Source)
            """
        #expect(Self.summary(StackTraceText.frames(text, language: .java)) == [
            "com.shop.Main.main app",
            "jdk.internal.reflect.NativeMethodAccessorImpl.invoke0",
            "kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith ContinuationImpl.kt:33",
            "com.shop.pay.ChargerKt$charge$1.invokeSuspend Charger.kt:9 app",
            "com.shop.pay.ChargerKt.charge Charger.kt:13 app",
        ])
    }

    @Test(arguments: [StackTraceText.Language.javascript, nil])
    func nodeReadsAnonymousFunctionsAndInternalModules(_ language: StackTraceText.Language?) throws {
        let frames = StackTraceText.frames(try Self.fixture("node.txt"), language: language)
        #expect(Self.summary(frames) == [
            "Module._load node:internal/modules/cjs/loader:1091",
            "Module.load node:internal/modules/cjs/loader:1266",
            "Module._extensions..js node:internal/modules/cjs/loader:1623",
            "Module._compile node:internal/modules/cjs/loader:1521",
            "Object.<anonymous> /srv/shop-node/src/server.js:20 app",
            "main /srv/shop-node/src/server.js:9 app",
            "handleCheckout /srv/shop-node/src/server.js:4 app",
            "charge /srv/shop-node/src/pay.js:6 app",
            "Array.map",
            "? /srv/shop-node/src/pay.js:7 app",
        ])
    }

    @Test func nodeMarksNodeModulesAsLibraryAndDropsAsync() throws {
        let frames = StackTraceText.frames(try Self.fixture("node-async.txt"), language: .javascript)
        #expect(Self.summary(frames) == [
            "main /srv/shop-node/src/server.js:14 app",
            "Object.authorize /srv/shop-node/node_modules/paylib/index.js:7",
        ])
    }

    @Test func firefoxAndSafariFramesRead() {
        let text = """
            charge@https://shop.example/assets/app.js:6:30
            @https://shop.example/assets/app.js:20:1
            """
        #expect(Self.summary(StackTraceText.frames(text, language: .javascript)) == [
            "? https://shop.example/assets/app.js:20 app",
            "charge https://shop.example/assets/app.js:6 app",
        ])
    }

    @Test(arguments: [StackTraceText.Language.go, nil])
    func goReadsTheRecordingGoroutineAndMarksTheModuleCacheAsLibrary(_ language: StackTraceText.Language?) throws {
        let frames = StackTraceText.frames(try Self.fixture("go.txt"), language: language)
        #expect(Self.summary(frames) == [
            "main.main /srv/shop-go/main.go:20 app",
            "net/http.HandlerFunc.ServeHTTP /usr/lib/go-1.19/src/net/http/server.go:2109",
            "main.checkout /srv/shop-go/main.go:14 app",
            "github.com/shop/checkout/pay.(*Charger).Charge /srv/shop-go/pay/charger.go:24 app",
            "go.opentelemetry.io/otel/sdk/trace.(*RecordingSpan).RecordError /go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.32.0/trace/span.go:9",
            "go.opentelemetry.io/otel/sdk/trace.recordStackTrace /go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.32.0/trace/span.go:14",
        ])
    }

    @Test func goPanicReadsFromTheGoroutineAndItsCreator() throws {
        let frames = StackTraceText.frames(try Self.fixture("go-panic.txt"), language: .go)
        #expect(Self.summary(frames) == [
            "main.main /srv/shop-go2/main.go:19 app",
            "main.main.func1 /srv/shop-go2/main.go:21 app",
            "main.process /srv/shop-go2/main.go:13 app",
            "sort.Slice /usr/lib/go-1.19/src/sort/slice.go:23",
            "sort.pdqsort_func /usr/lib/go-1.19/src/sort/zsortfunc.go:73",
            "sort.insertionSort_func /usr/lib/go-1.19/src/sort/zsortfunc.go:12",
            "main.process.func1 /srv/shop-go2/main.go:13 app",
            "main.(*job).weight /srv/shop-go2/main.go:10 app",
        ])
    }

    @Test func goTextCutAt2048BytesKeepsTheWholeFrames() throws {
        // The SDK records at most 2048 bytes: the last frame may lose its file line.
        let text = try Self.fixture("go.txt")
        let cut = String(text.prefix(text.range(of: "\t/srv/shop-go/main.go:20")!.lowerBound.utf16Offset(in: text) + 10))
        let frames = StackTraceText.frames(cut, language: .go)
        #expect(Self.summary(frames).first == "net/http.HandlerFunc.ServeHTTP /usr/lib/go-1.19/src/net/http/server.go:2109")
        #expect(frames?.count == 5)
    }

    @Test(arguments: [StackTraceText.Language.dotnet, nil])
    func dotNetReadsTheOuterExceptionAfterItsInnerOnes(_ language: StackTraceText.Language?) throws {
        let frames = StackTraceText.frames(try Self.fixture("dotnet.txt"), language: language)
        #expect(Self.summary(frames) == [
            "Microsoft.AspNetCore.Diagnostics.DeveloperExceptionPageMiddlewareImpl.Invoke",
            "Microsoft.AspNetCore.Routing.EndpointMiddleware.<Invoke>g__AwaitRequestTask|7_0",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.Next",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.Rethrow",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeNextActionFilterAsync>g__Awaited|10_0",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.<InvokeActionMethodAsync>g__Awaited|12_0",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.AwaitableObjectResultExecutor.Execute",
            "lambda_method5",
            "Shop.Api.Controllers.CheckoutController.Post /src/Shop.Api/Controllers/CheckoutController.cs:21 app",
            "Shop.Api.Services.CheckoutService.ChargeAsync /src/Shop.Api/Services/CheckoutService.cs:33 app",
        ])
    }

    @Test func dotNetConstructorsKeepTheirDot() {
        let text = "   at Shop.Cart..ctor(Int32 size) in /src/Cart.cs:line 5\n   at Shop.Program.Main()"
        #expect(Self.summary(StackTraceText.frames(text, language: .dotnet)) == [
            "Shop.Program.Main app", "Shop.Cart..ctor /src/Cart.cs:5 app",
        ])
    }

    @Test func textNoParserReadsGivesNil() {
        #expect(StackTraceText.frames("card declined\nno frames here", language: .python) == nil)
        #expect(StackTraceText.frames("") == nil)
    }

    @Test func sdkLanguageNamesTheFormat() {
        #expect(StackTraceText.Language(sdkLanguage: "nodejs") == .javascript)
        #expect(StackTraceText.Language(sdkLanguage: "webjs") == .javascript)
        #expect(StackTraceText.Language(sdkLanguage: "dotnet") == .dotnet)
        #expect(StackTraceText.Language(sdkLanguage: "python") == .python)
        #expect(StackTraceText.Language(sdkLanguage: "erlang") == nil)
    }

    @Test func aWrongHintFallsBackToTheFormatThatReadsMost() throws {
        #expect(StackTraceText.frames(try Self.fixture("python.txt"), language: .java)?.count == 3)
    }
}
