// swift-tools-version:6.0
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

/// The version compiled into the binary: the Makefile derives it from git (`make version`)
/// and passes it in the environment; a plain `swift build` says "unknown".
let version: String = {
    guard let value = getenv("VIGIL_VERSION").map({ String(cString: $0) }),
          !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "+.~-_".contains($0) }) else { return "unknown" }
    return value
}()

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilConfig", targets: ["VigilConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // 4.x: FoundationEssentials on Linux, where 3.x imported the whole of Foundation —
        // with ICU, which linked statically made the stripped binary 69 MB instead of 26
        // and every protocol-conformance lookup at start scan its records too.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // HeapModule: the TCP prober's timers.
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        // SSL_GET: TLS to real servers.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // metrics_listen: Prometheus text exposition.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        // libnl-3 / libnl-route-3 / libnl-genl-3 (Debian: libnl-3-dev libnl-route-3-dev libnl-genl-3-dev).
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev", "libnl-genl-3-dev"])]
        ),
        // Linux headers Glibc's module lacks (AF_PACKET, signalfd).
        .systemLibrary(name: "CLinux"),
        // The build's version (`vigil --version`, `vigil status`, vigil_build_info).
        .target(name: "CVigilVersion", cSettings: [.define("VIGIL_VERSION", to: "\"\(version)\"")]),
        // The value types every module shares: addresses, Instant, Microseconds. No dependency.
        .target(name: "VigilTypes"),
        // keepalived.conf language: lexer, preprocessor, parser, typed model, validator.
        .target(name: "VigilConfig", dependencies: ["VigilTypes"]),
        // VRRP protocol core: sans-IO, no syscalls.
        .target(name: "VRRP", dependencies: ["VigilTypes"]),
        // IPVS table as values, the reconciler's diff, and the pools' rules (health, quorum,
        // drain, reload carry-over) as `PoolState`: sans-IO.
        .target(name: "LVS", dependencies: ["VigilTypes"]),
        // Linux edge: netlink, raw sockets, ARP, IPVS over generic netlink. Every syscall lives here.
        .target(name: "VigilLinux", dependencies: ["CNetlink", "CLinux", "VigilTypes", "VRRP", "LVS", "VigilConfig"]),
        // Health checks of real servers.
        .target(name: "HealthCheck", dependencies: [
            "VigilTypes", "LVS", "CLinux",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // Planning: the configuration made concrete from the host's answers (PlanningHost)
        // alone — DaemonPlan, InstancePlan, LVSPlan, RoutePlan, ReloadPlan, PlanSource. No
        // system call; VigilLinux for its value types and the PlanningHost protocol,
        // HealthCheck for the checkers' specs (CheckSpec).
        .target(name: "VigilPlan", dependencies: ["VigilTypes", "VigilConfig", "VRRP", "LVS", "VigilLinux"]),
        // Wiring: loads configuration, consults the host, runs the services.
        .target(name: "VigilDaemon", dependencies: [
            "VigilPlan", "VigilTypes", "VigilConfig", "VRRP", "LVS", "VigilLinux", "HealthCheck", "CLinux", "CVigilVersion",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilDaemon", "VigilPlan", "VigilConfig", "VigilLinux", "HealthCheck", "LVS", "VigilTypes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test sender for the integration drills: deliberately malformed adverts.
        .executableTarget(name: "vrrp-inject", dependencies: ["VRRP", "VigilTypes"]),
        // Test support: every catalog keyword in a minimal configuration, with and without
        // it, for the tests that find keywords read and then ignored.
        .target(name: "KeywordProbes", dependencies: ["VigilConfig"], path: "Tests/KeywordProbes"),
        .testTarget(name: "VigilConfigTests", dependencies: ["VigilConfig", "VigilTypes", "KeywordProbes"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "VigilTypes"]),
        // `vigil`'s own command line (the executable, imported @testable).
        .testTarget(name: "VigilCommandTests", dependencies: ["vigil", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "LVSTests", dependencies: ["LVS", "VigilTypes"]),
        .testTarget(name: "VigilDaemonTests", dependencies: ["VigilDaemon", "VigilPlan", "VigilLinux", "VigilConfig", "LVS", "VRRP", "VigilTypes", "HealthCheck",
                                                      "KeywordProbes"]),
        .testTarget(name: "VigilLinuxTests", dependencies: ["VigilLinux", "LVS", "VRRP", "VigilTypes"]),
        // The fixtures (certificates, keys) are read from the source tree by path.
        .testTarget(name: "HealthCheckTests", dependencies: [
            "HealthCheck", "VigilConfig", "VigilTypes", "LVS",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["Fixtures"]),
    ]
)

// The libFuzzer target that plans every configuration `vigil run` would accept (Fuzz/run.sh).
// Only declared when VIGIL_FUZZ is set: its entry point is libFuzzer's, so it links only
// with `--sanitize=fuzzer`, and a plain `swift build` must not try.
if let fuzz = getenv("VIGIL_FUZZ"), fuzz.pointee != 0 {
    package.targets.append(.executableTarget(
        name: "vigil-plan-fuzz",
        dependencies: [
            "VigilDaemon", "VigilPlan", "VigilConfig", "VigilLinux", "VRRP", "LVS", "VigilTypes",
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Fuzz/PlanFuzz",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    ))
}
