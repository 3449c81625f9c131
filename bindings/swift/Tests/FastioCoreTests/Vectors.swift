// Loading the shared conformance vectors (`tests/vectors/`).
import FastioCore
import Foundation
import XCTest

enum Vectors {
    /// `FASTIO_VECTORS` when set (the test script copies the vectors next to
    /// the package), else the repository's own folder.
    static let root: URL = {
        if let dir = ProcessInfo.processInfo.environment["FASTIO_VECTORS"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/vectors")
    }()

    static func files(_ folder: String) throws -> [URL] {
        let dir = root.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func load(_ folder: String, _ name: String) throws -> JSON {
        try JSON.parse(Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(name)))
    }

    /// Every `cases` entry of every file in `folder`, named `file:case`.
    static func cases(_ folder: String) throws -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        for file in try files(folder) {
            let doc = try JSON.parse(Data(contentsOf: file))
            let stem = file.deletingPathExtension().lastPathComponent
            for c in doc["cases"]?.array ?? [] {
                out.append(("\(stem):\(c["name"]?.string ?? "?")", c))
            }
        }
        return out
    }

    /// The bytes an `input` spec describes.
    static func materialise(_ spec: JSON) throws -> Data {
        switch spec["kind"]?.string {
        case "ascii": return Data((spec["value"]?.string ?? "").utf8)
        case "hex": return try hex(spec["value"]?.string ?? "")
        case "repeat": return Data(repeating: UInt8(spec["byte"]?.int ?? 0), count: spec["len"]?.int ?? 0)
        case "pattern": return Data((0..<(spec["len"]?.int ?? 0)).map { UInt8($0 % 251) })
        default: throw VectorError("unknown input kind \(spec)")
        }
    }

    static func hex(_ s: String) throws -> Data {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { throw VectorError("odd hex length") }
        var out = Data(capacity: chars.count / 2)
        for k in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[k..<k + 2], as: UTF8.self), radix: 16) else {
                throw VectorError("bad hex")
            }
            out.append(b)
        }
        return out
    }

    static func base64(_ s: String) throws -> Data {
        guard let d = Data(base64Encoded: s) else { throw VectorError("bad base64") }
        return d
    }

    static func limits(_ c: JSON) -> PlanLimits {
        PlanLimits(
            singleRequestMax: c["single_request_max"]?.u64 ?? 0, chunkSize: c["chunk_size"]?.u64 ?? 0,
            maxChunks: c["max_chunks"]?.u64, maxFileSize: c["max_file_size"]?.u64,
            maxInFlight: UInt32(c["max_in_flight"]?.u64 ?? 0))
    }
}

struct VectorError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension XCTestCase {
    /// Runs one vector case; an error fails the case by name and the run goes on.
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            XCTFail("\(name): \(error)", file: file, line: line)
        }
    }

    /// Asserts that `body` throws a `FastioError` and returns it.
    func fastioError(_ body: () throws -> Void) -> FastioError? {
        do {
            try body()
            return nil
        } catch let e as FastioError {
            return e
        } catch {
            return nil
        }
    }
}
