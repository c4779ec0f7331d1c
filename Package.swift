// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Docket",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "docket", targets: ["docket"]),
        .executable(name: "docket-load", targets: ["DocketLoad"]),
        .library(name: "DocketCore", targets: ["DocketCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        // The OpenAPI document's typed model; the external-reference loader is not needed.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        // Pure domain: types, ports and the ticket lifecycle service. Foundation only.
        .target(name: "DocketCore"),
        // The wire formats: JSON writers (JSONOut), the tickets' and events' encodings, the
        // live events' data (WireEventEncoder); shared by HTTP, the stores and the live layer.
        .target(name: "DocketWire", dependencies: ["DocketCore"]),
        // The in-memory store: passes the store contract suite; the core's tests run on it.
        .target(name: "DocketMemory", dependencies: ["DocketCore"]),
        // Lua 5.4 from Debian, and the C shim around it (macros as functions, budgets, pcall only).
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        // The sandboxed Lua rule runtime.
        .target(name: "DocketRules", dependencies: ["DocketCore", "CLuaShim"]),
        // Reads industry packs (YAML) from disk into core types.
        .target(
            name: "DocketPacks",
            dependencies: ["DocketCore", .product(name: "Yams", package: "Yams")]
        ),
        // The embedded default store.
        .target(
            name: "DocketSQLite",
            dependencies: ["DocketCore", "DocketWire", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // MongoDB through libmongoc (Debian's libmongoc-dev 1.23), on its own threads.
        .systemLibrary(name: "CMongoc", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev"])]),
        .target(
            name: "DocketMongo",
            dependencies: [
                "DocketCore", "CMongoc",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // GMime 3 from Debian (with GLib), and the C shim that walks a parsed message into plain C types.
        .systemLibrary(name: "CGMime", pkgConfig: "gmime-3.0", providers: [.apt(["libgmime-3.0-dev"])]),
        .target(name: "CMailShim", dependencies: ["CGMime"]),
        // E-mail: MIME through GMime into the core's `InboundMail`, with the limits a hostile mail meets.
        .target(
            name: "DocketMail",
            dependencies: [
                "DocketCore", "CMailShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The live layer: the hub and its rooms, the WebSocket endpoint, Socket.IO over our Engine.IO
        // server; every long-lived part a Service. Mounted on the HTTP server by the composition root.
        .target(
            name: "DocketLive",
            dependencies: [
                "DocketCore", "DocketWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // REST API: request context, auth, controllers, DTOs, errors, OpenAPI, the console's files.
        .target(
            name: "DocketHTTP",
            dependencies: [
                "DocketCore", "DocketWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Webhook deliveries over HTTP (AsyncHTTPClient): signed, with timeouts, public addresses only.
        .target(
            name: "DocketWebhooks",
            dependencies: [
                "DocketCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The composition root: Configuration -> store, rules, event log, service, hub, HTTP
        // application and its services. The only place adapters meet.
        .target(
            name: "DocketAssembly",
            dependencies: [
                "DocketCore", "DocketWire", "DocketPacks", "DocketRules", "DocketSQLite", "DocketMongo", "DocketHTTP", "DocketLive", "DocketWebhooks", "DocketMail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CLI: parses arguments and calls the composition root.
        .executableTarget(
            name: "docket",
            dependencies: [
                "DocketAssembly", "DocketCore", "DocketPacks", "DocketRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The benchmark kit: drives a running server over loopback like its users do.
        .executableTarget(
            name: "DocketLoad",
            dependencies: [
                "DocketAssembly", "DocketCore", "DocketWire", "DocketPacks", "DocketRules", "DocketSQLite", "DocketMongo", "DocketHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test helpers shared by the test targets (scratch directories).
        .target(name: "DocketTestSupport", dependencies: ["DocketCore"], path: "Tests/Support"),
        .testTarget(name: "DocketCoreTests", dependencies: ["DocketCore", "DocketWire", "DocketMemory", "DocketPacks", "DocketTestSupport"]),
        .testTarget(name: "DocketRulesTests", dependencies: ["DocketCore", "DocketRules", "DocketPacks"]),
        .testTarget(name: "DocketPacksTests", dependencies: ["DocketCore", "DocketPacks", "DocketTestSupport"]),
        .testTarget(
            name: "DocketStoreContractTests",
            dependencies: [
                "DocketCore", "DocketWire", "DocketMemory", "DocketPacks", "DocketSQLite", "DocketMongo", "DocketMail", "DocketTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "DocketMongoTests", dependencies: ["DocketCore", "DocketMongo"]),
        .testTarget(
            name: "DocketMailTests",
            dependencies: [
                "DocketCore", "DocketMail", "DocketTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Corpus")]),
        .testTarget(
            name: "DocketHTTPTests",
            dependencies: [
                "DocketCore", "DocketWire", "DocketMemory", "DocketPacks", "DocketSQLite", "DocketMongo", "DocketHTTP", "DocketLive", "DocketRules", "DocketAssembly",
                "DocketTestSupport", "DocketWebhooks", "DocketMail",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
