// Starts a local devserver for the end-to-end tests: 127.0.0.1 only, a fresh
// data directory, stopped when the test class ends. The binary comes from
// `FASTIO_DEVSERVER` (run_tests.sh builds it and sets it).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

final class Devserver {
    let baseURL: String
    let apiKey: String
    private let process: Process
    private let dataDir: URL

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    init(apiKey: String) throws {
        guard let binary = ProcessInfo.processInfo.environment["FASTIO_DEVSERVER"],
              FileManager.default.isExecutableFile(atPath: binary)
        else {
            throw StartError(description: "FASTIO_DEVSERVER must name the built fastio-devserver binary (run_tests.sh sets it)")
        }
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("fastio-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--addr", "127.0.0.1:0", "--data", dataDir.path, "--api-key", apiKey, "--min-chunk-size", "65536",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The script stops a server a crashed test run left behind, by this pid.
        if let pidFile = ProcessInfo.processInfo.environment["FASTIO_DEVSERVER_PIDFILE"] {
            try? "\(process.processIdentifier)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        // It prints its base URL and key on two lines, then serves.
        let lines = Self.readLines(2, from: out.fileHandleForReading, timeout: 30)
        guard lines.count == 2, lines[0].hasPrefix("http://127.0.0.1:") else {
            process.terminate()
            throw StartError(description: "the devserver did not print its address within 30 s")
        }
        baseURL = lines[0]
        self.apiKey = lines[1]
    }

    private static func readLines(_ n: Int, from handle: FileHandle, timeout: TimeInterval) -> [String] {
        final class Box: @unchecked Sendable { var lines: [String] = [] }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var buffer = Data()
            while box.lines.count < n {
                let piece = handle.availableData
                if piece.isEmpty { break }
                buffer.append(piece)
                while let nl = buffer.firstIndex(of: 0x0A), box.lines.count < n {
                    box.lines.append(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                        .trimmingCharacters(in: .whitespaces))
                    buffer.removeSubrange(buffer.startIndex...nl)
                }
            }
            done.signal()
        }
        return done.wait(timeout: .now() + timeout) == .success ? box.lines : []
    }

    /// `http://127.0.0.1:PORT`, where the `/_dev/` control paths live.
    var origin: String {
        baseURL.components(separatedBy: "/current/").first ?? baseURL
    }

    /// Replaces the fault configuration (`nil` clears it); returns the
    /// server's answer as JSON.
    @discardableResult
    func faults(_ config: String?) async throws -> JSON {
        var req = URLRequest(url: URL(string: origin + "/_dev/faults")!)
        req.httpMethod = config == nil ? "DELETE" : "POST"
        if let config {
            req.httpBody = Data(config.utf8)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await Self.control(req)
    }

    /// The faults injected so far, as `[[request_number, fault], …]`.
    func injected() async throws -> [JSON] {
        try await Self.control(URLRequest(url: URL(string: origin + "/_dev/faults")!))["injected"]?.array ?? []
    }

    private static func control(_ req: URLRequest) async throws -> JSON {
        let (data, resp) = try await URLSession.shared.data(for: req)
        guard let http = resp as? HTTPURLResponse, http.statusCode == 200 else {
            throw StartError(description: "devserver control \(req.httpMethod ?? "GET") answered \(resp)")
        }
        return data.isEmpty ? .null : try JSON.parse(data)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDir)
    }
}
