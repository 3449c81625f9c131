// Every vector file is run by this suite, so a new file cannot be skipped
// silently.
import Foundation
import XCTest

final class VectorCoverageTests: XCTestCase {
    /// Folders run file by file (every `*.json` in them).
    static let wholeFolders: Set<String> = ["requests", "responses", "webhooks"]
    /// Files run by name.
    static let named: Set<String> = [
        "upload/digests.json", "upload/crc32c_combine.json", "upload/plans.json", "upload/resume_token.json",
        "drive/upload.json", "drive/pager.json", "drive/download.json",
    ]
    /// Upload policy and grants live in the core for gateways and are not
    /// exported through the FFI, so no binding can run these.
    static let notExported: Set<String> = ["policy/grants.json", "policy/sniff.json"]

    func testEveryVectorFileIsRun() throws {
        let root = Vectors.root
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &dir) && dir.boolValue
        }
        XCTAssertFalse(folders.isEmpty, "no vectors under \(root.path)")
        var seen = 0
        for folder in folders {
            for file in try Vectors.files(folder) {
                let rel = "\(folder)/\(file.lastPathComponent)"
                seen += 1
                XCTAssertTrue(
                    Self.wholeFolders.contains(folder) || Self.named.contains(rel) || Self.notExported.contains(rel),
                    "\(rel) is not run by the Swift suite")
            }
        }
        XCTAssertGreaterThanOrEqual(seen, Self.named.count + Self.notExported.count + Self.wholeFolders.count)
    }
}
