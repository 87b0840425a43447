// swift-tools-version: 6.1
import PackageDescription

/// One list of Swift settings shared by every target (design.md: Swift 6 language mode,
/// strict concurrency).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// SwiftPM's `--enable-code-coverage` instruments Swift code only: scripts/test.sh sets
/// CSMS_C_COVERAGE=1 so that the C shim is instrumented too and appears in the coverage report
/// (clang's flags; the profile runtime comes with the Swift code's instrumentation).
let cCoverage: [CSetting] =
    Context.environment["CSMS_C_COVERAGE"] == "1"
    ? [.unsafeFlags(["-fprofile-instr-generate", "-fcoverage-mapping"])] : []

let package = Package(
    name: "swift-csms",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OCPP", targets: ["OCPP", "OCPP16", "OCPP201", "OCPP21"]),
        // The processor and its SQLite store, for the benchmark package (Benchmarks/).
        .library(name: "CSMSEngine", targets: ["CSMSCore", "CSMSProcessor", "CSMSStorageSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // swift-log and swift-crypto are declared with the server's dependencies below.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .target(name: "OCPP", swiftSettings: swiftSettings),
        .target(name: "OCPP16", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "OCPP201", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "OCPP21", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "CSMSCore", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(
            name: "CSMSProcessor",
            dependencies: [
                "CSMSCore", "OCPP", "OCPP16", "OCPP201", "OCPP21",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ocpp-schema-check",
            dependencies: ["OCPP", "OCPP16", "OCPP201", "OCPP21"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OCPPTests",
            dependencies: [
                "OCPP", "OCPP16", "OCPP201", "OCPP21",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CSMSProcessorTests",
            dependencies: [
                "CSMSProcessor", "CSMSCore", "CSMSTesting", "OCPP", "OCPP16", "OCPP201", "OCPP21",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Storage: in-memory store and the store conformance suite; SQLite store.
package.dependencies += [
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0")
]
package.targets += [
    .target(
        name: "CSMSTesting",
        dependencies: [
            "CSMSCore", "OCPP", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swiftSettings),
    // A SQLite VFS shim in C that coalesces WAL writes (docs/storage.md, "WAL write buffer");
    // the system SQLite that GRDB links on Linux.
    .target(name: "CSQLiteWALBuffer", cSettings: cCoverage, linkerSettings: [.linkedLibrary("sqlite3")]),
    .target(
        name: "CSMSStorageSQLite",
        dependencies: [
            "CSMSCore", "OCPP", "CSQLiteWALBuffer", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "CSMSStorageTests",
        dependencies: [
            "CSMSCore", "CSMSTesting", "CSMSStorageSQLite", "OCPP", .product(name: "GRDB", package: "GRDB.swift"),
        ],
        swiftSettings: swiftSettings
    ),
]

// Server (CSMSServer) and CLI (csms): hummingbird, configuration, lifecycle, logging, crypto.
package.dependencies += [
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
]
package.targets += [
    .target(
        name: "CSMSServer",
        dependencies: [
            "CSMSCore", "CSMSProcessor", "OCPP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "SystemPackage", package: "swift-system"),
        ],
        resources: [.copy("Resources/openapi.json")],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "csms",
        dependencies: [
            "CSMSServer", "CSMSCore", "CSMSProcessor", "CSMSStorageSQLite", "OCPP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "CSMSServerTests",
        dependencies: [
            "CSMSServer", "CSMSCore", "CSMSProcessor", "CSMSTesting", "OCPP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swiftSettings
    ),
]

// Observability: Prometheus exposition at /metrics and CloudWatch Embedded Metric Format lines.
package.dependencies += [
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1")
]
for target in package.targets where target.name == "CSMSServer" {
    target.dependencies += [
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Metrics", package: "swift-metrics"),
    ]
}
for target in package.targets where target.name == "csms" {
    target.dependencies += [.product(name: "Metrics", package: "swift-metrics")]
}
for target in package.targets where target.name == "CSMSServerTests" {
    target.dependencies += [.product(name: "MetricsTestKit", package: "swift-metrics")]
}

// External authorization (issue #5): HTTP webhook client with timeout, concurrency limit, circuit breaker and cache.
package.dependencies += [
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0")
]
package.targets += [
    .target(
        name: "CSMSExternalAuth",
        dependencies: [
            "CSMSCore", "OCPP",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "CSMSExternalAuthTests",
        dependencies: [
            "CSMSExternalAuth", "CSMSCore", "CSMSProcessor", "CSMSStorageSQLite", "CSMSTesting", "OCPP",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swiftSettings
    ),
]
for target in package.targets where ["CSMSServer", "CSMSServerTests"].contains(target.name) {
    target.dependencies.append("CSMSExternalAuth")
}

// Security (issue #8): TLS listeners (swift-nio-ssl), certificates and the built-in CA
// (swift-certificates, swift-asn1, _CryptoExtras for RSA key sizes).
package.dependencies += [
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
]
for target in package.targets where ["CSMSServer", "CSMSServerTests"].contains(target.name) {
    target.dependencies += [
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
    ]
    if target.name == "CSMSServerTests" {
        target.dependencies += [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]
    }
}

// Load testing (issue #10): the pure parts of the fleet simulator (CSMSLoadKit), the `csms-load`
// tool on swift-nio (one channel handler per station, no task per connection), and `csms-echo`,
// the transport limit: the same WebSocket stack as the server, answering every CALL with `{}`.
package.dependencies += [
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0")
]
package.targets += [
    .target(
        name: "CSMSLoadKit",
        dependencies: ["OCPP", "OCPP16", "OCPP201", .product(name: "Histogram", package: "hdrhistogram-swift")],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "csms-load",
        dependencies: [
            "CSMSLoadKit", "OCPP", "OCPP16", "OCPP201",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "csms-echo",
        dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "CSMSLoadTests",
        dependencies: ["CSMSLoadKit", "OCPP", .product(name: "Histogram", package: "hdrhistogram-swift")],
        swiftSettings: swiftSettings
    ),
]
