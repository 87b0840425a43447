// swift-tools-version: 6.1
import PackageDescription

/// One list of Swift settings shared by every target (design.md: Swift 6 language mode,
/// strict concurrency).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-csms",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OCPP", targets: ["OCPP", "OCPP16", "OCPP201", "OCPP21"])
    ],
    dependencies: [
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1")
    ],
    targets: [
        .target(name: "OCPP", swiftSettings: swiftSettings),
        .target(name: "OCPP16", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "OCPP201", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "OCPP21", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "CSMSCore", dependencies: ["OCPP"], swiftSettings: swiftSettings),
        .target(name: "CSMSProcessor", dependencies: ["CSMSCore", "OCPP"], swiftSettings: swiftSettings),
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
    ],
    swiftLanguageModes: [.v6]
)

// Storage: in-memory store and the store conformance suite; SQLite store.
package.dependencies += [
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0")
]
package.targets += [
    .target(name: "CSMSTesting", dependencies: ["CSMSCore", "OCPP"], swiftSettings: swiftSettings),
    .target(
        name: "CSMSStorageSQLite",
        dependencies: ["CSMSCore", .product(name: "GRDB", package: "GRDB.swift")],
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
