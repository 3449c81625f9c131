// upload/: digests, CRC32C combination, plans, server limits and the resume token.
import FastioCore
import Foundation
import XCTest

final class UploadVectorTests: XCTestCase {
    func testDigestVectors() throws {
        let cases = try XCTUnwrap(Vectors.load("upload", "digests.json")["cases"]?.array)
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let name = c["name"]?.string ?? "?"
            check(name) {
                let data = try Vectors.materialise(try XCTUnwrap(c["input"]))
                XCTAssertEqual(UInt64(data.count), c["len"]?.u64, name)
                let digests = try XCTUnwrap(c["digests"]?.object)
                let sha256 = try XCTUnwrap(c["digests"]?["sha256"]?.string)
                let crc32c = try XCTUnwrap(c["digests"]?["crc32c"]?.string)
                for (algo, wantJSON) in digests {
                    let want = try XCTUnwrap(wantJSON.string)
                    XCTAssertEqual(try digestHex(algorithm: algo, data: data), want, "\(name) \(algo)")
                    let d = try Digest(algorithm: algo)
                    for start in stride(from: 0, to: data.count, by: 7) {
                        try d.update(data: data.subdata(in: start..<min(start + 7, data.count)))
                    }
                    XCTAssertEqual(try d.bytesHashed(), UInt64(data.count), "\(name) \(algo) len")
                    XCTAssertEqual(try d.finishHex(), want, "\(name) \(algo) in pieces")
                    guard case .Usage? = fastioError({ _ = try d.finishHex() }) else {
                        return XCTFail("\(name) \(algo): a finished digest was finished again")
                    }
                    let v = try StreamVerifier(expectedHex: want, algorithm: algo)
                    for start in stride(from: 0, to: data.count, by: 1000) {
                        try v.update(data: data.subdata(in: start..<min(start + 1000, data.count)))
                    }
                    let got = try v.finish()
                    XCTAssertEqual(got.len, UInt64(data.count), name)
                    XCTAssertEqual(got.sha256, sha256, name)
                    XCTAssertEqual(got.crc32c, crc32c, name)
                }
                let fd = FileDigest()
                try fd.update(data: data)
                let both = try fd.finish()
                XCTAssertEqual(both.sha256, sha256, name)
                XCTAssertEqual(both.crc32c, crc32c, name)
            }
        }
    }

    func testStreamVerifierRefusesAMismatch() throws {
        let v = try StreamVerifier(expectedHex: String(repeating: "00", count: 32), algorithm: "sha256")
        try v.update(data: Data("abc".utf8))
        guard case .Integrity? = fastioError({ _ = try v.finish() }) else {
            return XCTFail("a wrong digest was accepted")
        }
        guard case .InvalidInput? = fastioError({ _ = try Digest(algorithm: "sha999") }) else {
            return XCTFail("an unknown algorithm was accepted")
        }
    }

    func testCrc32cCombineVectors() throws {
        let doc = try Vectors.load("upload", "crc32c_combine.json")
        let combine = try XCTUnwrap(doc["combine"]?.array)
        let files = try XCTUnwrap(doc["files"]?.array)
        XCTAssertFalse(combine.isEmpty)
        XCTAssertFalse(files.isEmpty)
        for c in combine {
            let name = c["name"]?.string ?? "?"
            check(name) {
                let got = crc32cCombine(
                    crc1: try XCTUnwrap(UInt32(c["crc1"]?.string ?? "", radix: 16)),
                    crc2: try XCTUnwrap(UInt32(c["crc2"]?.string ?? "", radix: 16)),
                    len2: try XCTUnwrap(c["len2"]?.u64))
                XCTAssertEqual(String(format: "%08x", got), c["combined"]?.string, name)
            }
        }
        for c in files {
            let name = c["name"]?.string ?? "?"
            check(name) {
                let data = try Vectors.materialise(try XCTUnwrap(c["input"]))
                var acc: UInt32 = 0
                for part in try XCTUnwrap(c["parts"]?.array) {
                    let off = try XCTUnwrap(part["offset"]?.int), len = try XCTUnwrap(part["len"]?.int)
                    let crc = try XCTUnwrap(part["crc32c"]?.string)
                    XCTAssertEqual(try digestHex(algorithm: "crc32c", data: data.subdata(in: off..<off + len)), crc, name)
                    acc = crc32cCombine(crc1: acc, crc2: try XCTUnwrap(UInt32(crc, radix: 16)), len2: UInt64(len))
                }
                XCTAssertEqual(String(format: "%08x", acc), c["file_crc32c"]?.string, name)
            }
        }
    }

    private func checkPlan(_ name: String, _ expect: JSON, _ make: () throws -> PlanInfo) {
        check(name) {
            if let wantKind = expect["error"]?.string {
                guard case .Plan(let kind, _, let size, let max, let chunkSize, let chunks)? = fastioError({ _ = try make() }) else {
                    return XCTFail("\(name): planned, expected \(wantKind)")
                }
                XCTAssertEqual(kind, wantKind, name)
                if kind == "too_large" {
                    XCTAssertEqual([size, max], [expect["size"]?.u64, expect["max"]?.u64], name)
                }
                if kind == "too_many_chunks" {
                    XCTAssertEqual(
                        [size, chunkSize, chunks, max],
                        [expect["size"]?.u64, expect["chunk_size"]?.u64, expect["chunks"]?.u64, expect["max"]?.u64], name)
                }
                return
            }
            let info = try make()
            XCTAssertEqual(try JSON.parse(info.json), expect["plan"], name)
            if let chunks = expect["chunks"]?.array {
                for ch in chunks {
                    let v = try XCTUnwrap(ch.array?.compactMap { $0.u64 })
                    XCTAssertEqual(try planChunk(planJson: info.json, order: v[0]), ChunkInfo(order: v[0], offset: v[1], len: v[2]), name)
                }
                XCTAssertNil(try planChunk(planJson: info.json, order: info.chunkCount + 1), "\(name): past the end")
            }
        }
    }

    func testPlanVectors() throws {
        let doc = try Vectors.load("upload", "plans.json")
        let plans = try XCTUnwrap(doc["plans"]?.array)
        let streams = try XCTUnwrap(doc["streams"]?.array)
        let limits = try XCTUnwrap(doc["limits"]?.array)
        XCTAssertFalse(plans.isEmpty || streams.isEmpty || limits.isEmpty)
        for c in plans {
            checkPlan("plan:\(c["name"]?.string ?? "?")", c["expect"] ?? .null) {
                try planUpload(size: c["size"]?.u64 ?? 0, limits: Vectors.limits(c["config"] ?? .null))
            }
        }
        for c in streams {
            checkPlan("stream:\(c["name"]?.string ?? "?")", c["expect"] ?? .null) {
                try planStream(maxSize: c["max_size"]?.u64, limits: Vectors.limits(c["config"] ?? .null))
            }
        }
        for c in limits {
            let name = "limits:\(c["name"]?.string ?? "?")"
            check(name) {
                let got = try planLimitsFromServer(
                    limitsJson: try XCTUnwrap(c["limits"]).write(), fallback: Vectors.limits(c["fallback"] ?? .null))
                XCTAssertEqual(got, Vectors.limits(c["expect"] ?? .null), name)
            }
        }
    }

    /// Resuming from the token asks the server first, then sends only the
    /// chunks it lacks, with the whole-file CRC32C of the vector on the last.
    func testResumeTokenVector() throws {
        let v = try Vectors.load("upload", "resume_token.json")
        let data = try Vectors.materialise(try XCTUnwrap(v["input"]))
        let token = try XCTUnwrap(v["token"])
        let heldCrc = try XCTUnwrap(token["acked"]?.array?.first?["crc32c"]?.string)
        let wantCrc = try XCTUnwrap(v["expect"]?["crc32c"]?.string)
        let client = try CoreClient(baseUrl: "http://127.0.0.1:9/current/", apiKey: "k", userAgent: nil)
        let up = try Upload.resume(client: client, tokenJson: token.write(), options: UploadOptions())
        var sent: [Int] = []
        var now: UInt64 = 0
        var done = false
        func answer(_ id: UInt64, _ json: String) throws {
            XCTAssertEqual(
                try up.onResponse(id: id, response: Response(status: 200, headers: [], body: Data(json.utf8)), nowMs: now),
                .accepted)
        }
        for _ in 0..<200 where !done {
            guard let action = try up.nextAction(nowMs: now) else {
                return XCTFail("the machine waits with nothing outstanding")
            }
            switch action {
            case .read(let id, let offset, let len):
                _ = try up.onData(id: id, data: data.subdata(in: Int(offset)..<min(Int(offset + len), data.count)), nowMs: now)
            case .send(let id, let request):
                let url = request.url
                let query = Dictionary(
                    (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                    uniquingKeysWith: { a, _ in a })
                if url.contains("/chunks/") || (url.hasSuffix("/chunk/") && request.method == "GET") {
                    try answer(id, #"{"result":true,"response":{"chunks":[{"order":1,"size":4096,"hash":"\#(heldCrc)"}]}}"#)
                } else if url.contains("/chunk/") {
                    let order = try XCTUnwrap(Int(query["order"] ?? ""))
                    sent.append(order)
                    if order == 3 { XCTAssertEqual(query["file_crc32c"], wantCrc) }
                    try answer(id, #"{"result":true,"response":{}}"#)
                } else if url.contains("/details/") {
                    try answer(id, #"{"result":true,"response":{"session":{"id":"up1","status":"stored","new_file_id":"n9","size":10000}}}"#)
                } else {
                    try answer(id, #"{"result":true,"response":{}}"#)
                }
            case .wait(let until):
                now = until
                up.onTimeout(nowMs: now)
            case .done(_, let nodeId, let size, let crc32c, let digest, _):
                XCTAssertEqual(nodeId, "n9")
                XCTAssertEqual(size, 10000)
                XCTAssertEqual(crc32c, wantCrc)
                XCTAssertNil(digest, "no digest asked for, none computed")
                done = true
            case .progress:
                break
            case .persist:
                XCTFail("a token to save without persistToken")
            }
        }
        XCTAssertTrue(done, "the resumed upload finished")
        XCTAssertEqual(sent.sorted(), v["expect"]?["resend"]?.array?.compactMap { $0.int })
    }

    func testGarbageResumeTokenIsATypedError() throws {
        let client = try CoreClient(baseUrl: "http://127.0.0.1:9/current/", apiKey: "k", userAgent: nil)
        for bad in ["", "{}", #"{"version": 99}"#, "[1,2,3]"] {
            guard case .InvalidInput? = fastioError({ _ = try Upload.resume(client: client, tokenJson: bad, options: UploadOptions()) }) else {
                XCTFail("\(bad.debugDescription) was accepted as a resume token")
                continue
            }
        }
    }
}
