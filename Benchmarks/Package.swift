// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// The root package's identity is its folder name (a path dependency), which differs between
/// clones; derive it instead of hard-coding it.
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

/// Microbenchmarks of swift-csms, run with `swift package benchmark` from this folder
/// (see docs/benchmarks.md). A separate package so that the main build and `swift test`
/// do not pull in the benchmark tooling.
let package = Package(
    name: "swift-csms-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "OCPPBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OCPP", package: rootPackage),
            ],
            path: "Benchmarks/OCPPBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AuthorizationBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CSMSEngine", package: rootPackage),
                .product(name: "OCPP", package: rootPackage),
            ],
            path: "Benchmarks/AuthorizationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
