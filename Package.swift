// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TeamLLM",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TeamLLM", targets: ["TeamLLM"]),
        .executable(name: "teamllm", targets: ["teamllm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/attaswift/BigInt", exact: "6.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
    ],
    targets: [
        .target(
            name: "TeamLLM",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "BigInt", package: "BigInt"),
                "CZlib",
            ],
            plugins: ["BuildInfo"]
        ),
        // zlib from Debian's zlib1g-dev, for gzipped benchmark files (HumanEval ships as .jsonl.gz).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // The HTTP provider: AsyncHTTPClient (SwiftNIO; TLS through swift-nio-ssl) lives here only.
        .target(name: "TeamLLMOpenRouter", dependencies: ["TeamLLM", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                  .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        // The loopback imitation of the OpenRouter API; the HTTP server package (Hummingbird) lives here only.
        .target(name: "TeamLLMImitation", dependencies: ["TeamLLM", .product(name: "Hummingbird", package: "hummingbird"),
                                                 .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOPosix", package: "swift-nio"),
                                                 .product(name: "Logging", package: "swift-log")]),
        // The code sandbox: bubblewrap, setpriv and prlimit around python3, through swift-subprocess (process groups).
        .target(name: "TeamLLMSandbox", dependencies: ["TeamLLM", .product(name: "Subprocess", package: "swift-subprocess")]),
        // Analyses over the correctness matrix and the HTML report: statistics written here, no dependency.
        .target(name: "TeamLLMAnalysis", dependencies: ["TeamLLM"]),
        .executableTarget(
            name: "teamllm",
            dependencies: [
                "TeamLLM",
                "TeamLLMOpenRouter",
                "TeamLLMImitation",
                "TeamLLMSandbox",
                "TeamLLMAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "teamllm-bench", dependencies: ["TeamLLM", "TeamLLMAnalysis", "TeamLLMOpenRouter", "TeamLLMImitation", "TeamLLMSandbox",
                                                         .product(name: "Subprocess", package: "swift-subprocess")]),
        .testTarget(name: "TeamLLMTests", dependencies: ["TeamLLM", "TeamLLMAnalysis", "TeamLLMOpenRouter", "TeamLLMImitation", "TeamLLMSandbox", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)
