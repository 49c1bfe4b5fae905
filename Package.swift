// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "firebell",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "firebell", targets: ["firebell"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already under Hummingbird; named so the server can use HTTPField and NIOCore's errors directly.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // OTLP's protobuf messages; the code is generated once (scripts/generate-otlp), never at build time.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .target(
            name: "FirebellCore",
            dependencies: [
                "FirebellOTLPProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Generated Swift for the OTLP messages (scripts/generate-otlp); read only by FirebellCore's OTLP decoder.
        .target(
            name: "FirebellOTLPProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["README.md"]
        ),
        // Standard Webhooks signing and checking, shared by ingest and the webhook channel.
        .target(name: "FirebellSignatures", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "FirebellStore",
            dependencies: [
                "FirebellCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "libbrotli-dev", "libzstd-dev"])]
        ),
        .target(
            name: "FirebellCurl",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The only target that imports CCompression: request-body decoders at the edge.
        .target(
            name: "FirebellCompression",
            dependencies: ["CCompression"]
        ),
        .target(
            name: "FirebellDelivery",
            dependencies: [
                "FirebellCore",
                "FirebellStore",
                "FirebellCurl",
                "FirebellSignatures",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "FirebellServer",
            dependencies: [
                "FirebellCore",
                "FirebellStore",
                "FirebellDelivery",
                "FirebellSignatures",
                "FirebellCurl",
                "FirebellCompression",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "firebell",
            dependencies: [
                "FirebellCore",
                "FirebellStore",
                "FirebellDelivery",
                "FirebellServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make fuzz`: libFuzzer harnesses over the parsers and decoders. Its entry point
        // is compiled only with -DFUZZING (the fuzz build); elsewhere it is an empty main.
        .executableTarget(name: "firebell-fuzz", dependencies: ["FirebellCore", "FirebellCompression"]),
        // `make bench`'s baseline: a no-op Hummingbird handler under the same load.
        .executableTarget(
            name: "bench-noop",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(
            name: "FirebellCoreTests",
            dependencies: ["FirebellCore", "FirebellOTLPProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Fixtures"]  // read by path, not bundled
        ),
        .testTarget(name: "FirebellSignaturesTests", dependencies: ["FirebellSignatures"]),
        .testTarget(
            name: "FirebellStoreTests",
            // PostgresNIO: the tests create a database per test on their own server (TestPostgres).
            dependencies: ["FirebellStore", "FirebellCore", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        // A loopback HTTP receiver shared by the test targets that send to one.
        .target(name: "FirebellTestSupport", path: "Tests/FirebellTestSupport"),
        .testTarget(name: "FirebellCurlTests", dependencies: ["FirebellCurl", "FirebellTestSupport"]),
        // CCompression too: its TestEncoders submodule compresses the fixtures.
        .testTarget(name: "FirebellCompressionTests", dependencies: ["FirebellCompression", "CCompression"]),
        .testTarget(
            name: "FirebellDeliveryTests",
            dependencies: ["FirebellDelivery", "FirebellCore", "FirebellStore", "FirebellCurl", "FirebellSignatures", "FirebellTestSupport"],
            exclude: ["Golden"]  // golden files are read by path, not bundled
        ),
        .testTarget(
            name: "FirebellServerTests",
            dependencies: [
                "FirebellServer", "FirebellCore", "FirebellStore", "FirebellDelivery", "FirebellCurl", "FirebellCompression",
                // OTLP requests and answers as clients send and read them; gzip for the bodies.
                "FirebellOTLPProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"), "CCompression",
            ]
        ),
    ]
)
