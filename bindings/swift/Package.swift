// swift-tools-version:5.9
// The Swift package of fastio-core: the UniFFI-generated bindings plus a
// URLSession driver. The generated sources (`Sources/FastioCoreFFI/*` and
// `Sources/FastioCore/Generated/FastioCore.swift`) are written by
// `run_tests.sh` into its staging copy of this package, never committed: they
// must come from the same build of `libfastio_ffi` that the tests load.
import PackageDescription

let package = Package(
    name: "FastioCore",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "FastioCore", targets: ["FastioCore"]),
    ],
    targets: [
        // The C header and module map UniFFI generates for the Rust library.
        .systemLibrary(name: "FastioCoreFFI", path: "Sources/FastioCoreFFI"),
        .target(
            name: "FastioCore",
            dependencies: ["FastioCoreFFI"],
            path: "Sources/FastioCore",
            linkerSettings: [.linkedLibrary("fastio_ffi")]
        ),
        // Per-call cost of crossing the FFI, against a plain Swift call.
        .executableTarget(
            name: "FastioCoreBench",
            dependencies: ["FastioCore", "FastioCoreFFI"],
            path: "Sources/FastioCoreBench"
        ),
        .testTarget(
            name: "FastioCoreTests",
            dependencies: ["FastioCore"],
            path: "Tests/FastioCoreTests"
        ),
    ]
)
