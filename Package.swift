// swift-tools-version: 6.0
import PackageDescription

/// One list of Swift settings for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// librdkafka may be installed under /usr/local (built from Debian's 2.8 source package by
/// `deploy/hall install`) while an older system copy shares its soname; the rpath makes the
/// binaries load the newer one first. Every executable still checks `rd_kafka_version()` at start.
let rdkafkaLinker: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", "/usr/local/lib"]),
]

/// The five hall services share one shape: an executable on top of HallKit and HallContracts.
func service(_ name: String, folder: String, extra: [Target.Dependency] = [], pages: Bool = false) -> Target {
    .executableTarget(
        name: name,
        dependencies: extra + [
            "HallKit", "HallContracts", "HallKafka", "HallWeb",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Services/\(folder)",
        // A service with pages keeps their templates in `Pages/Templates`.
        resources: [.copy("openapi.yaml")] + (pages ? [.copy("Pages/Templates")] : []),
        swiftSettings: swiftSettings,
        linkerSettings: rdkafkaLinker
    )
}

/// Operator and test tools: executables over the runtime (`extra` adds test support).
func tool(_ name: String, extra: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "HallKit", "HallContracts", "HallKafka",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ] + extra,
        path: "Shared/Tools/\(name)",
        swiftSettings: swiftSettings,
        linkerSettings: rdkafkaLinker
    )
}

let package = Package(
    name: "ServiceHall",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "intake", targets: ["intake"]),
        .executable(name: "coordinator", targets: ["coordinator"]),
        .executable(name: "seal", targets: ["seal"]),
        .executable(name: "complaints", targets: ["complaints"]),
        .executable(name: "appraisal", targets: ["appraisal"]),
        .executable(name: "hallctl", targets: ["hallctl"]),
        .executable(name: "hallbench", targets: ["hallbench"]),
        .executable(name: "hallworker", targets: ["hallworker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "HallKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/HallKafka",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
        .target(
            name: "HallContracts",
            path: "Shared/Contracts",
            exclude: ["schemas", "asyncapi.yaml"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallCalendar",
            path: "Shared/Calendar",
            resources: [.copy("Data")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallKit",
            dependencies: [
                "HallKafka", "HallContracts", "HallCalendar", "HallImprints",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Shared/HallKit",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallWeb",
            dependencies: [
                "HallKit", "HallCalendar",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Shared/Web",
            resources: [.copy("Templates"), .copy("Assets")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallImprints",
            dependencies: ["HallContracts", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Imprints",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallLocalStack",
            dependencies: [
                "HallKit", "HallKafka", "HallContracts", "HallImprints", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/LocalStack",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HallServiceHarness",
            dependencies: [
                "HallKit", "HallKafka", "HallContracts", "HallLocalStack",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Shared/ServiceHarness",
            swiftSettings: swiftSettings
        ),
        service("intake", folder: "Intake", extra: ["HallCalendar", .product(name: "Crypto", package: "swift-crypto")], pages: true),
        service("coordinator", folder: "Coordinator", extra: ["HallCalendar", .product(name: "Crypto", package: "swift-crypto")], pages: true),
        service("seal", folder: "Seal", extra: ["HallImprints", .product(name: "Crypto", package: "swift-crypto")], pages: true),
        service("complaints", folder: "Complaints", pages: true),
        service("appraisal", folder: "Appraisal", extra: ["HallCalendar"], pages: true),
        tool("hallctl"),
        tool("hallbench", extra: [
            "HallLocalStack", "HallCalendar", "HallImprints", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        tool("hallworker", extra: ["HallLocalStack"]),
        .testTarget(
            name: "ContractsTests",
            dependencies: ["HallContracts"],
            path: "Tests/ContractsTests",
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CalendarTests",
            dependencies: ["HallCalendar"],
            path: "Tests/CalendarTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntakeTests",
            dependencies: ["intake", "HallKit", "HallCalendar", .product(name: "HummingbirdTesting", package: "hummingbird")],
            path: "Tests/IntakeTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: ["coordinator", "HallKit", "HallCalendar", "HallContracts", .product(name: "HummingbirdTesting", package: "hummingbird")],
            path: "Tests/CoordinatorTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallKafkaTests",
            dependencies: ["HallKafka"],
            path: "Tests/HallKafkaTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallKitTests",
            dependencies: [
                "HallKit", "HallContracts",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/HallKitTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SealTests",
            dependencies: [
                "seal", "HallKit", "HallContracts", "HallImprints",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/SealTests",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
        .testTarget(
            name: "ComplaintsTests",
            dependencies: [
                "complaints", "HallKit", "HallKafka", "HallContracts", "HallLocalStack", "HallServiceHarness", "HallCalendar",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/ComplaintsTests",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
        .testTarget(
            name: "AppraisalTests",
            dependencies: [
                "appraisal", "HallKit", "HallKafka", "HallContracts", "HallLocalStack", "HallServiceHarness", "HallCalendar",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/AppraisalTests",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
        .testTarget(
            name: "WebTests",
            dependencies: ["HallWeb", "HallKit", .product(name: "HummingbirdTesting", package: "hummingbird")],
            path: "Tests/WebTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HallTests",
            dependencies: [
                "HallKit", "HallContracts", "HallLocalStack",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/HallTests",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "HallKit", "HallKafka", "HallContracts", "HallLocalStack", "HallServiceHarness", "intake", "HallCalendar",
                "seal", "coordinator", "HallImprints",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/IntegrationTests",
            swiftSettings: swiftSettings,
            linkerSettings: rdkafkaLinker
        ),
    ]
)
