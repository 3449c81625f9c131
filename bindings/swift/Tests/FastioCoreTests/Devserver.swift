// Starts a local devserver for the end-to-end tests: 127.0.0.1 only, a fresh
// data directory, stopped when the test class ends. The binary comes from
// `FASTIO_DEVSERVER` (run_tests.sh builds it and sets it).
import Foundation

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

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDir)
    }
}
