// Sentry envelopes in the shapes real SDKs send, for SentryEnvelopeTests and
// SentryEventDecoderTests; the source of each shape is cited above it. Each item's
// `length` was computed by a script from the payload bytes: after editing a payload,
// recount its UTF-8 bytes (SentryEnvelopeTests fails loudly on a wrong one).
// Every fixture's DSN key is 6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c, project 1.

enum SentryFixtures {

    /// @sentry/browser 8.x, an uncaught TypeError caught by the GlobalHandlers integration.
    /// Envelope: `createEventEnvelope` in sentry-javascript packages/core/src/envelope.ts — header
    /// `event_id`/`sent_at`/`sdk`/`trace`, item header `{"type":"event"}` with NO `length`, and
    /// `serializeEnvelope` (packages/core/src/utils/envelope.ts) joins the lines without a trailing newline.
    /// Event: `exceptionFromError` (packages/browser/src/eventbuilder.ts), `request.url` from the
    /// HttpContext integration (packages/browser/src/integrations/httpcontext.ts), `ip_address`
    /// "{{auto}}" as sent with sendDefaultPii; `timestamp` in Unix seconds.
    static let javascriptBrowser = #"""
    {"event_id":"a1f4c0e2b9d84b7e9c3a5f6d7e8b9c0a","sent_at":"2026-11-30T05:00:01.311Z","sdk":{"name":"sentry.javascript.browser","version":"8.42.0"},"trace":{"environment":"production","release":"shop-web@2.3.0","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c","trace_id":"4c1d9e0f8a7b46c2b3d5e6f708192a3b","sample_rate":"1","sampled":"false"}}
    {"type":"event"}
    {"exception":{"values":[{"type":"TypeError","value":"Cannot read properties of undefined (reading 'total')","stacktrace":{"frames":[{"filename":"https://shop.example/assets/vendor-9c1e.js","function":"HTMLButtonElement.n","in_app":true,"lineno":2,"colno":10231},{"filename":"https://shop.example/assets/index-4f2a.js","function":"submitOrder","in_app":true,"lineno":1,"colno":48211}]},"mechanism":{"type":"onerror","handled":false}}]},"level":"error","platform":"javascript","request":{"url":"https://shop.example/checkout?step=pay","headers":{"Referer":"https://shop.example/cart","User-Agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}},"event_id":"a1f4c0e2b9d84b7e9c3a5f6d7e8b9c0a","timestamp":1796014801.204,"environment":"production","release":"shop-web@2.3.0","user":{"id":"u-981","ip_address":"{{auto}}"},"tags":{"locale":"de-DE"},"breadcrumbs":[{"timestamp":1796014799.87,"category":"ui.click","message":"button#pay"}],"sdk":{"integrations":["InboundFilters","FunctionToString","BrowserApiErrors","Breadcrumbs","GlobalHandlers","LinkedErrors","Dedupe","HttpContext"],"name":"sentry.javascript.browser","version":"8.42.0","packages":[{"name":"npm:@sentry/browser","version":"8.42.0"}]}}
    """#

    /// @sentry/node 8.x: an error with a `cause`, linked by the LinkedErrors integration
    /// (packages/core/src/utils/aggregate-errors.ts: the cause first, `mechanism.type` "chained").
    /// Contexts from packages/node/src/integrations/context.ts (app, os, device, culture);
    /// frames from the Node stack parser (`module` from the file path, node_modules and
    /// node: frames not in app). Envelope framing as for the browser: no `length`.
    static let javascriptNode = #"""
    {"event_id":"b2e5d1f3c0a94c8f8d4b6a7e9f0c1d2e","sent_at":"2026-11-30T05:00:02.601Z","sdk":{"name":"sentry.javascript.node","version":"8.42.0"},"trace":{"environment":"production","release":"shop-api@1.4.2","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c","trace_id":"5d2e0f1a9b8c47d3a4e6f7091a2b3c4d"}}
    {"type":"event"}
    {"exception":{"values":[{"type":"Error","value":"connect ECONNREFUSED 10.0.0.5:5432","stacktrace":{"frames":[{"filename":"node:net","module":"net","function":"TCPConnectWrap.afterConnect [as oncomplete]","lineno":1607,"colno":16,"in_app":false},{"filename":"/app/node_modules/pg-pool/index.js","module":"pg-pool:index","function":"?","lineno":45,"colno":11,"in_app":false}]},"mechanism":{"type":"chained","source":"cause","handled":true,"exception_id":1,"parent_id":0}},{"type":"PaymentError","value":"could not charge order 1231","stacktrace":{"frames":[{"filename":"node:internal/process/task_queues","module":"task_queues","function":"process.processTicksAndRejections","lineno":95,"colno":5,"in_app":false},{"filename":"/app/src/routes/checkout.js","module":"routes:checkout","function":"handler","lineno":31,"colno":20,"in_app":true},{"filename":"/app/src/payments.js","module":"payments","function":"chargeOrder","lineno":88,"colno":13,"in_app":true}]},"mechanism":{"type":"generic","handled":true,"exception_id":0}}]},"event_id":"b2e5d1f3c0a94c8f8d4b6a7e9f0c1d2e","level":"error","platform":"node","contexts":{"trace":{"trace_id":"5d2e0f1a9b8c47d3a4e6f7091a2b3c4d","span_id":"9a8b7c6d5e4f3a2b"},"runtime":{"name":"node","version":"v22.11.0"},"app":{"app_start_time":"2026-11-30T04:12:09.000Z","app_memory":187269120},"os":{"kernel_version":"6.1.0-28-cloud-amd64","name":"Linux","version":"6.1.0"},"device":{"boot_time":"2026-11-29T22:01:44.000Z","arch":"x64","memory_size":8335712256,"processor_count":4,"cpu_description":"Intel(R) Xeon(R) CPU @ 2.20GHz"},"culture":{"locale":"en-US","timezone":"UTC"},"cloud_resource":{}},"server_name":"api-7d9f","timestamp":1796014802.557,"environment":"production","release":"shop-api@1.4.2","user":{"id":42,"email":"ada@example.com"},"tags":{"route":"/checkout"},"request":{"method":"POST","url":"https://api.shop.example/checkout","headers":{"host":"api.shop.example","content-type":"application/json"}},"sdk":{"integrations":["InboundFilters","FunctionToString","LinkedErrors","RequestData","Console","Http","NodeFetch","OnUncaughtException","OnUnhandledRejection","ContextLines","LocalVariables","Context","Modules"],"name":"sentry.javascript.node","version":"8.42.0","packages":[{"name":"npm:@sentry/node","version":"8.42.0"}]}}
    """#

    /// sentry-java 7.x logback appender: `logger.error("Payment failed for order {}", id, e)`.
    /// Item header as `SentryEnvelopeItemHeader.serialize` writes it (sentry/src/main/java/io/sentry/
    /// SentryEnvelopeItemHeader.java): `content_type`, `type`, then `length`. Message as the
    /// `Message` interface (`formatted`, `message`, `params`); exceptions from
    /// `SentryExceptionFactory.extractExceptionQueue` (causes first, outermost last; type is the
    /// simple class name, `module` the package); ISO-8601 `timestamp` with milliseconds.
    static let java = #"""
    {"event_id":"c3f6e2a4d1b04d9e9e5c7b8f0a1d2e3f","sdk":{"name":"sentry.java.logback","version":"7.18.0","packages":[{"name":"maven:io.sentry:sentry","version":"7.18.0"}]},"trace":{"trace_id":"6e3f1a2b0c9d48e4b5f7081a2b3c4d5e","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c","release":"shop-api@1.4.2","environment":"production"},"sent_at":"2026-11-30T05:00:03.118Z"}
    {"content_type":"application/json","type":"event","length":2236}
    {"timestamp":"2026-11-30T05:00:03.101Z","message":{"formatted":"Payment failed for order 1231","message":"Payment failed for order {}","params":["1231"]},"logger":"com.shop.payments.PaymentService","threads":{"values":[{"id":47,"name":"http-nio-8080-exec-3","state":"RUNNABLE","crashed":false,"current":true,"daemon":true,"main":false}]},"level":"error","exception":{"values":[{"type":"SocketTimeoutException","value":"Read timed out","module":"java.net","thread_id":47,"stacktrace":{"frames":[{"filename":"NioSocketImpl.java","function":"timedRead","module":"sun.nio.ch.NioSocketImpl","lineno":288,"in_app":false,"native":false},{"filename":"HttpClientImpl.java","function":"send","module":"jdk.internal.net.http.HttpClientImpl","lineno":934,"in_app":false,"native":false}]}},{"type":"PaymentException","value":"Gateway did not answer for order 1231","module":"com.shop.payments","thread_id":47,"stacktrace":{"frames":[{"filename":"Thread.java","function":"run","module":"java.lang.Thread","lineno":1583,"in_app":false,"native":false},{"filename":"PaymentController.java","function":"checkout","module":"com.shop.web.PaymentController","lineno":42,"in_app":true,"native":false},{"filename":"PaymentService.java","function":"charge","module":"com.shop.payments.PaymentService","lineno":88,"in_app":true,"native":false}]},"mechanism":{"type":"LogbackSentryAppender","handled":true}}]},"event_id":"c3f6e2a4d1b04d9e9e5c7b8f0a1d2e3f","contexts":{"runtime":{"name":"Eclipse Adoptium","version":"21.0.5"},"os":{"name":"Linux","version":"6.1.0-28-cloud-amd64"},"trace":{"trace_id":"6e3f1a2b0c9d48e4b5f7081a2b3c4d5e","span_id":"0a1b2c3d4e5f6a7b","op":"default","origin":"manual"}},"sdk":{"name":"sentry.java.logback","version":"7.18.0","packages":[{"name":"maven:io.sentry:sentry","version":"7.18.0"},{"name":"maven:io.sentry:sentry-logback","version":"7.18.0"}],"integrations":["UncaughtExceptionHandler","ShutdownHook","Logback"]},"release":"shop-api@1.4.2","environment":"production","platform":"java","user":{"id":"42","ip_address":"203.0.113.7"},"server_name":"api-1","tags":{"region":"eu","thread.name":"http-nio-8080-exec-3"},"request":{"url":"https://api.shop.example/checkout","method":"POST","headers":{"User-Agent":"okhttp/4.12.0"}}}

    """#

    /// sentry-go 0.30: `sentry.CaptureException(fmt.Errorf("charge order %d: %w", id, err))`.
    /// Envelope: envelope_header.go (`event_id`, `sent_at`, `dsn`, `sdk`), envelope_item.go (`type`,
    /// `length`), envelope.go (each payload followed by "\n"). Event: interfaces.go sends
    /// `exception` as a BARE LIST (`Exception []Exception json:"exception"`), unwrapped errors
    /// first; frames from stacktrace.go (`function`, `module`, `filename`, `abs_path`, `in_app`);
    /// `user` is `{}` when unset; RFC 3339 `timestamp` with nanoseconds.
    static let go = #"""
    {"event_id":"d4a7f3b5e2c14e0fa0f6d8c9b1e2f3a4","sent_at":"2026-11-30T05:00:04.450118Z","dsn":"http://6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c@127.0.0.1:8470/1","sdk":{"name":"sentry.go","version":"0.30.0"}}
    {"type":"event","length":1351}
    {"contexts":{"device":{"arch":"amd64","num_cpu":8},"os":{"name":"linux"},"runtime":{"go_maxprocs":8,"go_numcgocalls":1,"go_numroutines":12,"name":"go","version":"go1.23.4"},"trace":{"trace_id":"7f4a2b3c1d0e49f5c6a8192b3c4d5e6f","span_id":"1b2c3d4e5f6a7b8c"}},"environment":"production","event_id":"d4a7f3b5e2c14e0fa0f6d8c9b1e2f3a4","level":"error","platform":"go","release":"orders@3.1.0","sdk":{"name":"sentry.go","version":"0.30.0","integrations":["ContextifyFrames","Environment","GlobalTags","IgnoreErrors","Modules"],"packages":[{"name":"sentry-go","version":"0.30.0"}]},"server_name":"orders-5b8c","user":{},"modules":{"":"","github.com/getsentry/sentry-go":"v0.30.0"},"exception":[{"type":"*errors.errorString","value":"connection refused","mechanism":{"type":"chained","source":"Unwrap","exception_id":1,"parent_id":0}},{"type":"*fmt.wrapError","value":"charge order 1231: connection refused","stacktrace":{"frames":[{"function":"main","module":"main","filename":"main.go","abs_path":"/src/orders/main.go","lineno":41,"in_app":true},{"function":"chargeOrder","module":"github.com/shop/orders/payments","filename":"charge.go","abs_path":"/src/orders/payments/charge.go","lineno":27,"in_app":true}]},"mechanism":{"type":"generic","exception_id":0,"is_exception_group":false}}],"timestamp":"2026-11-30T05:00:04.449213658Z","tags":{"region":"eu"}}

    """#

    /// sentry-dotnet 4.x (Sentry.AspNetCore): an unhandled exception with an InnerException.
    /// Item header `{"type":"event","length":N}` — `EnvelopeItem.Serialize` always adds the length
    /// (src/Sentry/Protocol/Envelopes/EnvelopeItem.cs). Frames as src/Sentry/Internal/
    /// DebugStackTrace.cs builds them in Enhanced mode: `function` is the full signature, `module`
    /// removed, `filename` relative to the project and `abs_path` absolute; `timestamp` and
    /// `sent_at` are DateTimeOffset round-trip strings with seven fractional digits and +00:00.
    static let dotnet = #"""
    {"sdk":{"name":"sentry.dotnet.aspnetcore","version":"4.13.0"},"event_id":"e5b8a4c6f3d24f1ab1a7e9d0c2f3a4b5","trace":{"trace_id":"8a5b3c4d2e1f40a6d7b9203c4d5e6f7a","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c"},"sent_at":"2026-11-30T05:00:05.1154382+00:00"}
    {"type":"event","length":2719}
    {"modules":{"Shop.Api":"1.4.2.0","Sentry":"4.13.0.0"},"event_id":"e5b8a4c6f3d24f1ab1a7e9d0c2f3a4b5","timestamp":"2026-11-30T05:00:05.0921134+00:00","platform":"csharp","server_name":"shop-api-6d4","release":"Shop.Api@1.4.2+9c1e2f3","exception":{"values":[{"type":"System.Net.Http.HttpRequestException","value":"Connection refused (payments:443)","module":"System.Net.Http, Version=8.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a","thread_id":12,"stacktrace":{"frames":[{"function":"async ValueTask<Stream> HttpConnectionPool.ConnectToTcpHostAsync(string host, int port, HttpRequestMessage initialRequest, bool async, CancellationToken cancellationToken)","package":"System.Net.Http, Version=8.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a","in_app":false,"instruction_addr":"0xa2","addr_mode":"rel:2","function_id":"0x2b1"}]},"mechanism":{"type":"chained","source":"InnerException","handled":false,"exception_id":1,"parent_id":0}},{"type":"Shop.Payments.PaymentException","value":"Could not charge order 1231","module":"Shop.Payments, Version=1.4.2.0, Culture=neutral, PublicKeyToken=null","thread_id":12,"stacktrace":{"frames":[{"function":"async Task<IActionResult> CheckoutController.Post(CheckoutRequest request)","package":"Shop.Api, Version=1.4.2.0, Culture=neutral, PublicKeyToken=null","filename":"Controllers/CheckoutController.cs","abs_path":"/src/Shop.Api/Controllers/CheckoutController.cs","lineno":31,"colno":13,"in_app":true,"instruction_addr":"0x1c","addr_mode":"rel:0","function_id":"0x12"},{"function":"async Task PaymentGateway.ChargeAsync(int orderId)","package":"Shop.Payments, Version=1.4.2.0, Culture=neutral, PublicKeyToken=null","filename":"PaymentGateway.cs","abs_path":"/src/Shop.Payments/PaymentGateway.cs","lineno":58,"colno":17,"in_app":true,"instruction_addr":"0x4f","addr_mode":"rel:1","function_id":"0x7"}]},"mechanism":{"type":"Microsoft.AspNetCore.Diagnostics.UnhandledException","handled":false,"exception_id":0}}]},"level":"error","request":{"url":"https://api.shop.example/checkout","method":"POST","headers":{"Host":"api.shop.example"}},"contexts":{"runtime":{"type":"runtime","name":".NET","version":"8.0.11","raw_description":".NET 8.0.11","identifier":"linux-x64"},"os":{"type":"os","raw_description":"Debian GNU/Linux 12 (bookworm)"},"trace":{"type":"trace","span_id":"2c3d4e5f6a7b8c9d","trace_id":"8a5b3c4d2e1f40a6d7b9203c4d5e6f7a"}},"user":{"id":"42","username":"ada","ip_address":"203.0.113.7"},"environment":"production","sdk":{"packages":[{"name":"nuget:Sentry","version":"4.13.0"},{"name":"nuget:Sentry.AspNetCore","version":"4.13.0"}],"name":"sentry.dotnet.aspnetcore","version":"4.13.0"},"tags":{"route.controller":"Checkout","route.action":"Post"}}

    """#

    /// sentry-ruby 5.x (sentry-rails): a ZeroDivisionError in a controller.
    /// Envelope: `Transport#envelope_from_event` (sentry-ruby/lib/sentry/transport.rb: header
    /// `event_id`, `dsn`, `sdk`, `sent_at`; item header `type` + `content_type`, NO `length`) and
    /// `Envelope::Item#to_s` (sentry-ruby/lib/sentry/envelope/item.rb: header and payload joined by
    /// "\n", no trailing newline). Event: `message` "", `user` {}, `module` "", empty
    /// `fingerprint`, frames with `project_root`/`abs_path`/`filename` and context lines.
    static let ruby = #"""
    {"event_id":"f6c9b5d7a4e34a2bc2b8f0e1d3a4b5c6","dsn":"http://6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c@127.0.0.1:8470/1","sdk":{"name":"sentry.ruby.rails","version":"5.22.0"},"sent_at":"2026-11-30T05:00:06Z","trace":{"trace_id":"9b6c4d5e3f2a41b7e8c0314d5e6f7a8b","environment":"production","release":"7b3e9d1","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c"}}
    {"type":"event","content_type":"application/json"}
    {"event_id":"f6c9b5d7a4e34a2bc2b8f0e1d3a4b5c6","level":"error","timestamp":"2026-11-30T05:00:06Z","release":"7b3e9d1","environment":"production","server_name":"web-2","modules":{"rails":"7.2.2","sentry-ruby":"5.22.0"},"message":"","user":{},"tags":{"request_id":"0d8f6b1e-2c3a-4b5d-9e7f-1a2b3c4d5e6f"},"contexts":{"os":{"name":"Linux","version":"#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)","build":"6.1.0-28-cloud-amd64","kernel_version":"Linux web-2 6.1.0-28-cloud-amd64"},"runtime":{"name":"ruby","version":"ruby 3.3.6 (2024-11-05 revision 75015d4c1f) [x86_64-linux]"},"trace":{"trace_id":"9b6c4d5e3f2a41b7e8c0314d5e6f7a8b","span_id":"3d4e5f6a7b8c9d0e","op":"http.server"}},"extra":{},"fingerprint":[],"breadcrumbs":{"values":[]},"transaction":"OrdersController#create","platform":"ruby","sdk":{"name":"sentry.ruby.rails","version":"5.22.0"},"request":{"url":"https://shop.example/orders","method":"POST","headers":{"Host":"shop.example"},"env":{"SERVER_NAME":"shop.example","SERVER_PORT":"443"}},"exception":{"values":[{"type":"ZeroDivisionError","value":"divided by 0","module":"","thread_id":8,"mechanism":{"type":"rails","handled":false},"stacktrace":{"frames":[{"project_root":"/app","abs_path":"/usr/local/bundle/gems/actionpack-7.2.2/lib/action_controller/metal/basic_implicit_render.rb","function":"send_action","lineno":8,"in_app":false,"filename":"action_controller/metal/basic_implicit_render.rb"},{"project_root":"/app","abs_path":"/app/app/controllers/orders_controller.rb","function":"create","lineno":14,"in_app":true,"filename":"app/controllers/orders_controller.rb","pre_context":["  def create\n","    order = Order.find(params[:id])\n"],"context_line":"    @share = order.total / order.items.count\n","post_context":["  end\n"]},{"project_root":"/app","abs_path":"/app/app/models/order.rb","function":"/","lineno":3,"in_app":true,"filename":"app/models/order.rb"}]}}]}}
    """#

    /// sentry-php 4.x (sentry-laravel): a Guzzle ConnectException wrapped in an app exception.
    /// Envelope: src/Serializer/PayloadSerializer.php (header `event_id`, `sent_at` without
    /// fraction, `dsn`, `sdk`) and src/Serializer/EnvelopItems/EventItem.php (item header `type` +
    /// `content_type`, NO `length`; `timestamp` as float seconds; user fields present as null;
    /// exceptions reversed so the previous one comes first). Frames per
    /// src/Serializer/Traits/StacktraceFrameSerializerTrait.php (`filename` relative, `abs_path`).
    static let php = #"""
    {"event_id":"0a1d2c3e4f5a4b6c8d7e9f0a1b2c3d4e","sent_at":"2026-11-30T05:00:07Z","dsn":"http://6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c@127.0.0.1:8470/1","sdk":{"name":"sentry.php.laravel","version":"4.10.1"}}
    {"type":"event","content_type":"application/json"}
    {"timestamp":1796014807.4581,"platform":"php","sdk":{"name":"sentry.php.laravel","version":"4.10.1"},"level":"error","logger":"php","server_name":"web-3","release":"shop@1.4.2","environment":"production","tags":{"route":"checkout.store"},"user":{"id":42,"username":null,"email":"ada@example.com","ip_address":"203.0.113.7","segment":null},"contexts":{"os":{"name":"Linux","version":"6.1.0-28-cloud-amd64","build":"#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)","kernel_version":"Linux web-3 6.1.0-28-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64"},"runtime":{"name":"php","sapi":"fpm-fcgi","version":"8.3.14"},"trace":{"trace_id":"0c7d5e6f4a3b42c8f9d1425e6f7a8b9c","span_id":"4e5f6a7b8c9d0e1f"}},"request":{"url":"https://shop.example/checkout","method":"POST","headers":{"Host":["shop.example"]}},"exception":{"values":[{"type":"GuzzleHttp\\Exception\\ConnectException","value":"cURL error 7: Failed to connect to payments port 443","stacktrace":{"frames":[{"filename":"/vendor/guzzlehttp/guzzle/src/Handler/CurlFactory.php","lineno":275,"in_app":false,"abs_path":"/var/www/shop/vendor/guzzlehttp/guzzle/src/Handler/CurlFactory.php","function":"GuzzleHttp\\Handler\\CurlFactory::createRejection","raw_function":"GuzzleHttp\\Handler\\CurlFactory::createRejection"}]},"mechanism":{"type":"generic","handled":true}},{"type":"App\\Payments\\PaymentFailed","value":"Could not charge order 1231","stacktrace":{"frames":[{"filename":"/public/index.php","lineno":17,"in_app":true,"abs_path":"/var/www/shop/public/index.php"},{"filename":"/app/Http/Controllers/CheckoutController.php","lineno":44,"in_app":true,"abs_path":"/var/www/shop/app/Http/Controllers/CheckoutController.php","function":"App\\Http\\Controllers\\CheckoutController::store","raw_function":"App\\Http\\Controllers\\CheckoutController::store","pre_context":["        try {"],"context_line":"            $this->payments->charge($order);","post_context":["        } catch (ConnectException $e) {"]},{"filename":"/app/Payments/Gateway.php","lineno":61,"in_app":true,"abs_path":"/var/www/shop/app/Payments/Gateway.php","function":"App\\Payments\\Gateway::charge","raw_function":"App\\Payments\\Gateway::charge"}]},"mechanism":{"type":"generic","handled":true}}]}}
    """#

    /// sentry-python 2.75.0, CAPTURED from the real SDK (a Transport that keeps
    /// `envelope.serialize()`), then trimmed of `modules`, `extra`, frame `vars` and context
    /// lines, and `abs_path` rewritten; lengths recomputed. `capture_exception()` of
    /// `raise ValueError(...) from KeyError`: sentry_sdk/envelope.py `Item.serialize_into` always
    /// writes `length`, and ends every payload with "\n". Note `"module": null`.
    static let python = #"""
    {"event_id":"b89001876ef2463b81b764435c907eab","sent_at":"2026-11-30T07:04:35.053431Z","trace":{"trace_id":"ed4f4223f22f4b9a8087fda7b110d033","environment":"production","release":"shop@1.4.2","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c"}}
    {"type":"event","content_type":"application/json","length":1572}
    {"level":"error","exception":{"values":[{"mechanism":{"type":"generic","handled":true},"module":null,"type":"KeyError","value":"'card'","stacktrace":{"frames":[{"filename":"capture_python.py","abs_path":"/srv/shop/capture_python.py","function":"charge","module":"__main__","lineno":21,"context_line":"        {}[\"card\"]","in_app":true}]}},{"mechanism":{"type":"generic","handled":true},"module":null,"type":"ValueError","value":"card declined for order 1231","stacktrace":{"frames":[{"filename":"capture_python.py","abs_path":"/srv/shop/capture_python.py","function":"<module>","module":"__main__","lineno":26,"context_line":"    charge(1231)","in_app":true},{"filename":"capture_python.py","abs_path":"/srv/shop/capture_python.py","function":"charge","module":"__main__","lineno":23,"context_line":"        raise ValueError(f\"card declined for order {order}\") from e","in_app":true}]}}]},"event_id":"b89001876ef2463b81b764435c907eab","timestamp":"2026-11-30T07:04:35.047617Z","contexts":{"trace":{"trace_id":"ed4f4223f22f4b9a8087fda7b110d033","span_id":"a77a22ddbec9783b","parent_span_id":null},"runtime":{"name":"CPython","version":"3.11.7","build":"3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]"}},"user":{"id":42,"email":"ada@example.com"},"tags":{"region":"eu"},"release":"shop@1.4.2","environment":"production","server_name":"web-1","sdk":{"name":"sentry.python","version":"2.75.0","packages":[{"name":"pypi:sentry-sdk","version":"2.75.0"}],"integrations":["argv","atexit","dedupe","excepthook","logging","modules","stdlib","threading"]},"platform":"python"}

    """#

    /// sentry-python 2.75.0 logging integration, CAPTURED like `python`:
    /// `logging.getLogger("shop.pay").error("user %s failed to pay", "alice")` sends
    /// `logentry` with `message` (the template), `params` and `formatted`.
    static let pythonLogging = #"""
    {"event_id":"e59e663a594c4cc9b03c4ed1735c6205","sent_at":"2026-11-30T07:04:35.054361Z","trace":{"trace_id":"ed4f4223f22f4b9a8087fda7b110d033","environment":"production","release":"shop@1.4.2","public_key":"6f2b1a0c9d8e4f7a8b3c2d1e0f9a8b7c"}}
    {"type":"event","content_type":"application/json","length":821}
    {"level":"error","logger":"shop.pay","logentry":{"message":"user %s failed to pay","formatted":"user alice failed to pay","params":["alice"]},"event_id":"e59e663a594c4cc9b03c4ed1735c6205","timestamp":"2026-11-30T07:04:35.054025Z","contexts":{"trace":{"trace_id":"ed4f4223f22f4b9a8087fda7b110d033","span_id":"a77a22ddbec9783b","parent_span_id":null},"runtime":{"name":"CPython","version":"3.11.7","build":"3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]"}},"user":{"id":42,"email":"ada@example.com"},"tags":{"region":"eu"},"release":"shop@1.4.2","environment":"production","server_name":"web-1","sdk":{"name":"sentry.python","version":"2.75.0","packages":[{"name":"pypi:sentry-sdk","version":"2.75.0"}],"integrations":["argv","atexit","dedupe","excepthook","logging","modules","stdlib","threading"]},"platform":"python"}

    """#

    /// Envelopes that break the rules of develop.sentry.dev/sdk/envelopes/, each
    /// with the error SentryEnvelopeTests / SentryEventDecoderTests expect.
    enum Malformed {
        /// The body was cut off inside a length-prefixed payload ("If `length` cannot be
        /// consumed ... the Envelope is malformed").
        static let truncatedBody = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
        {"type":"event","content_type":"application/json","length":41}
        {"message":"hello world","le
        """#

        /// `length` shorter than the payload: what follows is not `\n` ("Length-prefixed
        /// payloads must terminate with `\n` or EOF ... Any other character ... malformed").
        static let lengthTooShort = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
        {"type":"event","length":20}
        {"message":"hello world","level":"error"}

        """#

        /// An attachment whose `length` (500) points past the end of the body (120 bytes left).
        static let lengthPastEnd = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
        {"type":"event","length":41}
        {"message":"hello world","level":"error"}
        {"type":"attachment","length":500,"filename":"app.log","content_type":"text/plain"}
        2026-11-30 05:00:00 INFO starting\n2026-11-30 05:00:01 ERROR payment failed for order 1231 after 3 retries..............
        """#

        /// The envelope header's closing brace is missing.
        static let badHeaderJSON = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"
        {"type":"event"}
        {"message":"hello world"}
        """#

        /// The second item's header is missing a comma.
        static let badItemHeader = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
        {"type":"session"}
        {"sid":"7d4b6a3e2f1c4d5e8f9a0b1c2d3e4f5a","status":"ok","started":"2026-11-30T05:00:00Z"}
        {"type":"event" "length":25}
        {"message":"hello world"}
        """#

        /// An item header without the required `type`.
        static let itemHeaderWithoutType = #"""
        {}
        {"length":2}
        {}
        """#

        /// The event payload is not JSON (a missing comma).
        static let badEventJSON = #"""
        {"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
        {"type":"event"}
        {"message":"hello world" "level":"error"}
        """#
    }
}
