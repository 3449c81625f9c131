// The first run after adding fastio-core: upload a file, download it back
// verified, and verify a signed webhook delivery.
//
//   FASTIO_API_KEY=... swift run Quickstart WORKSPACE [FILE]
//
// FASTIO_API_BASE points at a server other than the real service. Without FILE
// it uploads 9 MB it generates (three chunks) and removes nothing else.
import FastioCore
import Foundation

let args = CommandLine.arguments
let env = ProcessInfo.processInfo.environment
guard args.count >= 2, let key = env["FASTIO_API_KEY"] else {
    FileHandle.standardError.write(Data("usage: Quickstart WORKSPACE [FILE]  (FASTIO_API_KEY, and FASTIO_API_BASE for another server)\n".utf8))
    exit(2)
}
let workspace = args[1]
let client = try Client(apiKey: key, baseURL: env["FASTIO_API_BASE"] ?? Client.defaultBaseURL)

let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fastio-quickstart-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: tmp) }

let source: URL
if args.count > 2 {
    source = URL(fileURLWithPath: args[2])
} else {
    source = tmp.appendingPathComponent("quickstart.bin")
    var rng = SystemRandomNumberGenerator()
    try Data((0..<9_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: source)
}
let up = try await client.upload(file: source, workspace: workspace, options: UploadOptions(verifyStored: true))
print("uploaded \(up.size) bytes as node \(up.nodeId ?? "?"), crc32c \(up.crc32c), stored check: \(up.stored)")
guard let node = up.nodeId else { fatalError("the server named no node") }
let copy = tmp.appendingPathComponent("copy.bin")
let down = try await client.download(node: node, workspace: workspace, to: copy)
guard try Data(contentsOf: source) == Data(contentsOf: copy) else { fatalError("the downloaded copy differs") }
print("downloaded \(down.size) bytes, verified against the server's \(down.checkedAlgo ?? "none")")

// A delivery as Fast.io signs it, verified the way a receiver does.
let secret = "quickstart-secret"
let body = Data(#"{"event":"workspace_storage_file_added"}"#.utf8)
let signed = try WebhookSigner(scheme: .fastio, secret: secret).sign(id: nil, timestamp: nil, body: body)
let delivery = try verifyWebhook(
    headers: Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) }), body: body, secret: secret)
print("webhook verified (\(delivery.scheme))")
