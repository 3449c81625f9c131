// swift-tools-version:5.9
// The Swift package of fastio-core, at the repository root so SwiftPM can
// depend on the repository: the UniFFI-generated bindings plus a URLSession
// driver (bindings/swift/).
//
// The generated sources (bindings/swift/Sources/FastioCoreFFI/ and
// Sources/FastioCore/Generated/) are committed; bindings/swift/run_tests.sh
// regenerates them from the library it tests and fails when they differ.
//
// The Rust library itself:
// - Linux: libfastio_ffi.so (the release archive, or `cargo build --release
//   -p fastio-ffi`), linked with `-Xlinker -L<its directory>`.
// - Apple platforms: the XCFramework bindings/swift/build-xcframework.sh
//   builds on macOS into bindings/swift/FastioCoreFFI.xcframework; without
//   it, a macOS build links the dylib as on Linux.
import Foundation
import PackageDescription

let swiftDir = "bindings/swift"
let xcframework = "\(swiftDir)/FastioCoreFFI.xcframework"

#if os(Linux)
let haveXCFramework = false
#else
let haveXCFramework = FileManager.default.fileExists(atPath: "\(Context.packageDirectory)/\(xcframework)")
#endif

// The C header and module map UniFFI generates, and the library behind them.
let ffi: Target = haveXCFramework
    ? .binaryTarget(name: "FastioCoreFFI", path: xcframework)
    : .systemLibrary(name: "FastioCoreFFI", path: "\(swiftDir)/Sources/FastioCoreFFI")

let package = Package(
    name: "FastioCore",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "FastioCore", targets: ["FastioCore"]),
    ],
    targets: [
        ffi,
        .target(
            name: "FastioCore",
            dependencies: ["FastioCoreFFI"],
            path: "\(swiftDir)/Sources/FastioCore",
            linkerSettings: haveXCFramework ? [] : [.linkedLibrary("fastio_ffi")]
        ),
        // Per-call cost of crossing the FFI, against a plain Swift call.
        .executableTarget(
            name: "FastioCoreBench",
            dependencies: ["FastioCore", "FastioCoreFFI"],
            path: "\(swiftDir)/Sources/FastioCoreBench"
        ),
        .testTarget(
            name: "FastioCoreTests",
            dependencies: ["FastioCore"],
            path: "\(swiftDir)/Tests/FastioCoreTests"
        ),
    ]
)
