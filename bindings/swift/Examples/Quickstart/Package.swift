// swift-tools-version:5.9
// A program that depends on fastio-core the way an app does: through the
// repository's root Package.swift. In an app, the dependency is
//   .package(url: "<the repository's URL>", from: "0.1.0")
// Here it is the checkout this example sits in.
import PackageDescription

let package = Package(
    name: "Quickstart",
    platforms: [.macOS(.v12), .iOS(.v15)],
    dependencies: [
        .package(name: "FastioCore", path: "../../../.."),
    ],
    targets: [
        .executableTarget(
            name: "Quickstart",
            dependencies: [.product(name: "FastioCore", package: "FastioCore")],
            path: "Sources/Quickstart"
        ),
    ]
)
