// Uploads, resumes and downloads through the driver against a real local
// devserver, then checks the bytes independently of the core; lists a folder
// longer than one page.
import FastioCore
import Foundation
import XCTest

final class EndToEndTests: XCTestCase {
    nonisolated(unsafe) static var server: Devserver?
    nonisolated(unsafe) static var startError: Error?

    override class func setUp() {
        super.setUp()
        do { server = try Devserver(apiKey: "swift-e2e-key") } catch { startError = error }
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private var work: URL!

    override func setUpWithError() throws {
        if let e = Self.startError { throw e }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("fastio-swift-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    private func client() throws -> Client {
        let s = try XCTUnwrap(Self.server)
        return try Client(apiKey: s.apiKey, baseURL: s.baseURL, timeout: 60)
    }

    private struct Item: Decodable { let id: String }
    private struct Workspaces: Decodable { let workspaces: [Item] }
    private struct Orgs: Decodable { let orgs: [Item] }

    /// The first workspace, created in the first org when there is none yet.
    private func workspace(_ c: Client) async throws -> String {
        let found = try await c.call(#"{"orgs":{"op":"all_workspaces"}}"#, as: Workspaces.self)
        if let ws = found.workspaces.first { return ws.id }
        let orgs = try await c.call(#"{"orgs":{"op":"list"}}"#, as: Orgs.self)
        let org = try XCTUnwrap(orgs.orgs.first?.id, "the devserver has an org")
        let ws = try await c.call(
            #"{"orgs":{"op":"create_workspace","org_id":"\#(org)","name":"e2e","folder_name":"e2e"}}"#,
            decode: "workspace", as: Item.self)
        return ws.id
    }

    /// A file of `size` bytes (byte i = i mod 251).
    private func file(_ name: String, _ size: Int) throws -> URL {
        let url = work.appendingPathComponent(name)
        try Data((0..<size).map { UInt8($0 % 251) }).write(to: url)
        return url
    }

    /// Small chunks so a file of a few hundred KiB is a multi-chunk upload.
    private func smallChunks() -> UploadOptions {
        var limits = defaultPlanLimits()
        limits.singleRequestMax = 100_000
        limits.chunkSize = 128 * 1024
        return UploadOptions(limits: limits, pollWaitS: 5)
    }

    func testParallelChunkedUploadAndVerifiedDownload() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("big.bin", 1_000_003)
        var seen: [UploadProgress] = []
        let res = try await c.upload(file: src, workspace: ws, parallel: 3, options: smallChunks()) { seen.append($0) }
        XCTAssertEqual(res.size, 1_000_003)
        let node = try XCTUnwrap(res.nodeId)
        XCTAssertEqual(seen.last?.chunksTotal, 8)
        XCTAssertEqual(seen.last?.bytesAcked, 1_000_003)
        XCTAssertGreaterThanOrEqual(res.peakRequestsInFlight, 2, "chunks were sent concurrently")
        XCTAssertLessThanOrEqual(res.peakRequestsInFlight, 3, "never more in flight than asked")

        let list = try await c.call(
            #"{"storage":{"op":"list","profile":{"workspace":"\#(ws)"},"folder":"root","page_size":500}}"#, decode: "node_list")
        XCTAssertTrue(list.valueJson.contains("\"big.bin\""), "the file is listed")

        let dst = work.appendingPathComponent("back.bin")
        var lastBytes: UInt64 = 0
        let got = try await c.download(node: node, workspace: ws, to: dst) { bytes, _ in lastBytes = bytes }
        let original = try Data(contentsOf: src)
        XCTAssertEqual(try Data(contentsOf: dst), original, "the downloaded bytes are the uploaded ones")
        XCTAssertEqual(got.size, 1_000_003)
        XCTAssertEqual(lastBytes, 1_000_003)
        XCTAssertEqual(got.sha256, try digestHex(algorithm: "sha256", data: original))
        XCTAssertEqual(got.crc32c, try digestHex(algorithm: "crc32c", data: original))
        XCTAssertNotNil(got.checkedAlgo, "checked against the server's digest")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dst.path + ".part"))
    }

    func testServerLimitsPlanWithTheServersAnswer() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let given = try XCTUnwrap(smallChunks().limits)
        let stated = try await c.call(#"{"upload":{"op":"limits"}}"#)
        let narrowed = try planLimitsFromServer(limitsJson: stated.valueJson, fallback: given)
        XCTAssertNotEqual(narrowed.chunkSize, given.chunkSize, "the server states another chunk size")
        // One byte past what the server takes in one request, so the plan is chunked.
        let size = Int(narrowed.singleRequestMax) + 1
        XCTAssertLessThanOrEqual(size, 64 << 20)
        let src = try file("limited.bin", size)
        let want = try planUpload(size: UInt64(size), limits: narrowed).chunkCount
        XCTAssertGreaterThanOrEqual(want, 1)
        var seen: [UploadProgress] = []
        let res = try await c.upload(
            file: src, workspace: ws, parallel: 2, options: smallChunks(), serverLimits: true
        ) { seen.append($0) }
        XCTAssertEqual(res.size, UInt64(size))
        XCTAssertEqual(seen.last?.chunksTotal, want)
        // Without it, the chunk size given is used.
        var plain: [UploadProgress] = []
        _ = try await c.upload(file: src, workspace: ws, parallel: 2, options: smallChunks()) { plain.append($0) }
        XCTAssertEqual(plain.last?.chunksTotal, UInt64((size + 131_071) / 131_072))
    }

    /// A password link downloaded by a recipient who has no key; the preview
    /// is a redirect the core follows without credentials.
    func testAFileShareWithAPasswordServesAnAnonymousRecipient() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("report.pdf", 150_000)
        let uploaded = try await c.upload(file: src, workspace: ws)
        let node = try XCTUnwrap(uploaded.nodeId)
        let link = try await c.createFileShare(workspace: ws, node: node, password: "open sesame", expiresIn: 3600)
        let id = try XCTUnwrap(link["id"] as? String)
        let s = try XCTUnwrap(Self.server)
        let anonymous = try Client(apiKey: nil, baseURL: s.baseURL, timeout: 60)
        do {
            _ = try await anonymous.fileShareDetails(id)
            XCTFail("a password link answered without its password")
        } catch FastioError.Api(_, _, let status, _, _, _, _, _) {
            XCTAssertEqual(status, 403)
        }
        let details = try await anonymous.fileShareDetails(id, password: "open sesame")
        XCTAssertEqual(details["effective_capability"] as? String, "download")
        let dst = work.appendingPathComponent("got.pdf")
        let size = try await anonymous.downloadFileShare(id, to: dst, password: "open sesame")
        XCTAssertEqual(size, 150_000)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
        let thumb = work.appendingPathComponent("thumb")
        _ = try await anonymous.fileSharePreview(id, kind: "thumbnail", to: thumb, password: "open sesame")
        XCTAssertEqual(try Data(contentsOf: thumb), try Data(contentsOf: src))
        let wrong = work.appendingPathComponent("wrong.pdf")
        do {
            _ = try await anonymous.downloadFileShare(id, to: wrong, password: "guess")
            XCTFail("a wrong password downloaded the file")
        } catch FastioError.Api(_, _, let status, _, _, _, _, _) {
            XCTAssertEqual(status, 403)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: wrong.path))
        try await c.grantFileShare(id, capability: "view", email: "pat+swift@example.com")
        let granted = try await c.fileShareGrants(id)
        XCTAssertEqual(granted.compactMap { $0["email"] as? String }, ["pat+swift@example.com"])
        try await c.revokeFileShareGrant(id, email: "pat+swift@example.com")
        let left = try await c.fileShareGrants(id)
        XCTAssertEqual(left.count, 0)
    }

    func testAUnifiedSearchAndANoteThatLostItsRace() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("quarterly-report.txt", 10)
        let uploaded = try await c.upload(file: src, workspace: ws)
        let node = try XCTUnwrap(uploaded.nodeId)
        let found = try await c.search("quarterly", in: .workspace(ws), pageSize: 1)
        XCTAssertTrue(found.hits.contains { $0["bucket"] as? String == "files" && $0["id"] as? String == node })
        XCTAssertEqual(found.degraded, [])
        let note = try await c.createNote("Swift-\(UUID().uuidString.prefix(8)).md", content: "# one", in: .workspace(ws))
        let noteId = try XCTUnwrap(note["id"] as? String)
        let read = try await c.readNote(noteId, in: .workspace(ws))
        let first = try XCTUnwrap(read.note["version"] as? String)
        _ = try await c.updateNote(noteId, in: .workspace(ws), content: "# two", ifVersion: first)
        do {
            _ = try await c.updateNote(noteId, in: .workspace(ws), content: "# stale", ifVersion: first)
            XCTFail("a stale update went through")
        } catch let conflict as NoteConflict {
            XCTAssertEqual(conflict.current["content"] as? String, "# two")
        }
    }

    func testCommentsAndAnInvitation() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("reviewed.txt", 20)
        let uploaded = try await c.upload(file: src, workspace: ws)
        let node = try XCTUnwrap(uploaded.nodeId)
        let first = try await c.addComment("Check page 2", on: node, in: .workspace(ws), reference: ["page": 2])
        let firstId = try XCTUnwrap(first["id"] as? String)
        let reply = try await c.addComment("Done", on: node, in: .workspace(ws), replyTo: firstId)
        XCTAssertEqual(reply["parent_id"] as? String, firstId)
        let listed = try await c.comments(on: node, in: .workspace(ws)).compactMap { $0["id"] as? String }
        XCTAssertEqual(listed.first, firstId)
        XCTAssertEqual(listed.count, 2)
        try await c.deleteComments([firstId])
        let left = try await c.comments(on: node, in: .workspace(ws))
        XCTAssertEqual(left.count, 0, "a deleted comment takes its replies")
        let members = try await c.members(of: .workspace(ws))
        XCTAssertEqual(members.first?["permissions"] as? String, "owner")
        let added = try await c.addMember("sam+swift@example.com", to: .workspace(ws), permissions: "guest")
        let invitation = try XCTUnwrap((added["invitation"] as? [String: Any])?["id"] as? String)
        try await c.revokeInvitation(invitation, of: .workspace(ws))
    }

    func testSingleRequestUpload() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("small.txt", 1234)
        let res = try await c.upload(file: src, workspace: ws)
        XCTAssertEqual(res.size, 1234)
        XCTAssertEqual(res.peakRequestsInFlight, 1)
        let dst = work.appendingPathComponent("small.out")
        let got = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
        XCTAssertEqual(got.sha256, try digestHex(algorithm: "sha256", data: try Data(contentsOf: src)))
    }

    /// The task is cancelled after two chunks are acknowledged, as when an
    /// app is stopped; the upload then resumes from its token file.
    func testResumeAfterCancellation() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("resume.bin", 700_000)
        let token = work.appendingPathComponent("resume.token")
        let opts = smallChunks()
        let first = Task {
            try await c.upload(file: src, workspace: ws, parallel: 1, options: opts, tokenFile: token) { p in
                if p.chunksAcked >= 2 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        do {
            _ = try await first.value
            XCTFail("the upload was not interrupted")
        } catch is CancellationError {
            // expected
        }
        // The token saved last: the core hands one out as soon as the session
        // exists and then at most once a second, so it may know of fewer
        // chunks than were acknowledged; resume asks the server for the rest.
        let saved = try JSON.parse(Data(contentsOf: token))
        XCTAssertEqual(saved["version"]?.int, 1)
        XCTAssertNotNil(saved["upload_id"]?.string, "the token names its session")
        XCTAssertLessThanOrEqual(saved["acked"]?.array?.count ?? 0, 2, "no chunk is in the token before it was acknowledged")

        var acked: [UInt64] = []
        let res = try await c.resume(tokenFile: token, file: src, parallel: 2, options: smallChunks()) { acked.append($0.chunksAcked) }
        XCTAssertEqual(res.size, 700_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: token.path), "the token is removed once the file is stored")
        XCTAssertEqual(acked.last, 6)
        let dst = work.appendingPathComponent("resume.out")
        _ = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
    }

    /// With a token file the driver saves what the core hands out to persist
    /// (the session's token before any chunk is sent, later ones as chunks are
    /// acknowledged), atomically, and removes it once the file is stored.
    func testTokenFileIsWrittenOnPersistAndRemovedWhenDone() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("kept.bin", 700_000)
        let token = work.appendingPathComponent("kept.token")
        var seen: [(UInt64, JSON?)] = []
        let res = try await c.upload(file: src, workspace: ws, parallel: 2, options: smallChunks(), tokenFile: token) { p in
            seen.append((p.chunksAcked, try? JSON.parse(Data(contentsOf: token))))
        }
        XCTAssertEqual(res.size, 700_000)
        XCTAssertEqual(seen.last?.0, 6)
        let ids = Set(seen.compactMap { $0.1?["upload_id"]?.string })
        XCTAssertEqual(ids, [try XCTUnwrap(res.uploadId)], "every token saved is the session's")
        for (acked, saved) in seen {
            // The session's token is saved before the first chunk goes out.
            let t = try XCTUnwrap(saved, "no token on disk after \(acked) chunks")
            XCTAssertEqual(t["version"]?.int, 1)
            XCTAssertLessThanOrEqual(UInt64(t["acked"]?.array?.count ?? 0), acked)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: token.path), "the token is removed once the file is stored")
        XCTAssertEqual(try hidden(), [], "no temporary token file is left")
        let dst = work.appendingPathComponent("kept.out")
        _ = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
    }

    /// A 503 and a dropped connection on chunk requests: the core retries
    /// them through the driver and the file arrives intact.
    func testUploadRecoversFromServerErrorsAndDroppedConnections() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let server = try XCTUnwrap(Self.server)
        try await server.faults(#"{"path_contains":"/chunk/","schedule":[{"request":2,"fault":"503"},{"request":4,"fault":"drop"}]}"#)
        let src = try file("faulty.bin", 600_000)
        var opts = smallChunks()
        opts.backoffBaseMs = 20
        let res: UploadResult
        do {
            res = try await c.upload(file: src, workspace: ws, parallel: 3, options: opts)
        } catch {
            _ = try? await server.faults(nil)
            throw error
        }
        let injected = try await server.injected()
        try await server.faults(nil)
        XCTAssertEqual(injected.count, 2, "both faults were injected: \(injected)")
        let dst = work.appendingPathComponent("faulty.out")
        _ = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
    }

    /// The body breaks off half way: the download fails with a typed error
    /// and nothing is left on disk. (The file is large enough that the server
    /// has sent the head and part of the body before the break; a smaller one
    /// breaks before the head, which the core rightly retries.)
    func testTruncatedDownloadFailsAndLeavesNoFile() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let server = try XCTUnwrap(Self.server)
        let res = try await c.upload(file: try file("cut.bin", 3_000_000), workspace: ws)
        try await server.faults(#"{"path_contains":"/read/","schedule":[{"request":1,"fault":"truncate"}]}"#)
        let dst = work.appendingPathComponent("cut.out")
        var failure: FastioError?
        do {
            let got = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
            XCTFail("downloaded \(got)")
        } catch let e as FastioError {
            failure = e
        }
        let injected = try await server.injected()
        try await server.faults(nil)
        XCTAssertEqual(injected.count, 1, "the body was cut: \(injected)")
        // Bytes were already written, so the core does not retry: final.
        guard case .Api(let kind, _, let status, _, _, let retry, _, _)? = failure else {
            return XCTFail("a truncated body was not refused as a transport failure: \(String(describing: failure))")
        }
        XCTAssertEqual(kind, "transport")
        XCTAssertNil(status)
        XCTAssertEqual(retry, .never)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dst.path))
        XCTAssertEqual(try hidden(), [], "the partial file was removed")
    }

    /// A folder of 105 folders listed 100 at a time: two pages, every child
    /// exactly once, and a bound of one page stops the walk with `page_limit`.
    func testAListingLongerThanOnePageComesBackWhole() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let parent = try await c.call(
            #"{"storage":{"op":"create_folder","profile":{"workspace":"\#(ws)"},"name":"paged-\#(UUID().uuidString)"}}"#,
            as: Item.self
        ).id
        var made: [String] = []
        for i in 0..<105 {
            let child = try await c.call(
                #"{"storage":{"op":"create_folder","profile":{"workspace":"\#(ws)"},"parent":"\#(parent)","name":"f\#(i)"}}"#,
                as: Item.self)
            made.append(child.id)
        }
        XCTAssertEqual(Set(made).count, 105, "105 distinct folders were made")
        let list = #"{"storage":{"op":"list","profile":{"workspace":"\#(ws)"},"folder":"\#(parent)","page_size":100}}"#

        var sizes: [Int] = []
        var dones: [Bool] = []
        for try await page in c.pages(list) {
            XCTAssertEqual(page.status, 200)
            sizes.append(page.itemsJson.count)
            dones.append(page.done)
        }
        XCTAssertEqual(sizes, [100, 5], "one full page, then the rest")
        XCTAssertEqual(dones, [false, true])

        let items = try await c.items(list)
        let ids = items.compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, items.count, "every item has an id")
        XCTAssertEqual(ids.count, 105, "no item is missing or repeated")
        XCTAssertEqual(Set(ids), Set(made), "exactly the folders made")
        XCTAssertEqual(Set(items.compactMap { $0["name"] as? String }), Set((0..<105).map { "f\($0)" }))
        let typed = try await c.items(list, as: Item.self)
        XCTAssertEqual(typed.map(\.id), ids, "the typed items are the same, in the same order")

        var first: [String] = []
        do {
            for try await page in c.pages(list, maxPages: 1) { first += page.itemsJson }
            XCTFail("a listing of two pages ended within one")
        } catch FastioError.Transfer(let kind, _) {
            XCTAssertEqual(kind, "page_limit")
        }
        XCTAssertEqual(first.count, 100, "the first page was read before the bound")

        do {
            for try await page in c.pages(#"{"orgs":{"op":"details","org_id":"1"}}"#) {
                XCTFail("a call that is no listing gave a page: \(page)")
            }
            XCTFail("a call that is no listing was walked")
        } catch FastioError.InvalidInput(let kind, _) {
            XCTAssertEqual(kind, "not_pageable")
        }
    }

    /// Temporary files the driver left in the work directory (they start with a dot).
    private func hidden() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".") }
    }

    /// The devserver's 429 says the window reopens in a second (its
    /// `x-ve-limit-expires` against its own `Date`): the core turns that into a
    /// one-second wait, so one 429 costs about that, not the 300 s cap.
    func testA429CostsOnlyItsStatedWait() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let server = try XCTUnwrap(Self.server)
        try await server.faults(#"{"path_contains":"/upload/","schedule":[{"request":1,"fault":"429"}]}"#)
        let src = try file("limited.bin", 300_000)
        let started = Date()
        let res: UploadResult
        do {
            res = try await c.upload(file: src, workspace: ws, options: smallChunks())
        } catch {
            _ = try? await server.faults(nil)
            throw error
        }
        let elapsed = Date().timeIntervalSince(started)
        let injected = try await server.injected()
        try await server.faults(nil)
        XCTAssertEqual(injected.count, 1, "the 429 was injected: \(injected)")
        XCTAssertEqual(res.size, 300_000)
        XCTAssertLessThan(elapsed, 20, "one 429 cost \(elapsed) s")
    }

    /// The driver's temporary files get fresh, exclusive names: a user's own
    /// `back.bin.part` survives a download, and nothing is left behind.
    func testFilesBesideTheTargetAreNeverTouched() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let src = try file("report.bin", 200_000)
        let mine = work.appendingPathComponent("back.bin.part")
        try Data("my notes".utf8).write(to: mine)
        let res = try await c.upload(file: src, workspace: ws, options: smallChunks())
        let dst = work.appendingPathComponent("back.bin")
        _ = try await c.download(node: try XCTUnwrap(res.nodeId), workspace: ws, to: dst)
        XCTAssertEqual(try Data(contentsOf: dst), try Data(contentsOf: src))
        XCTAssertEqual(try Data(contentsOf: mine), Data("my notes".utf8))
        XCTAssertEqual(try hidden(), [])
    }

    func testDownloadOfAMissingNodeIsAnApiErrorAndLeavesNoFile() async throws {
        let c = try client()
        let ws = try await workspace(c)
        let dst = work.appendingPathComponent("x")
        do {
            _ = try await c.download(node: "no-such-node", workspace: ws, to: dst)
            XCTFail("a missing node was downloaded")
        } catch FastioError.Api(_, _, let status, _, _, _, _, _) {
            XCTAssertEqual(status, 404)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dst.path))
        XCTAssertEqual(try hidden(), [], "the partial file was removed")
    }

    func testBadKeyIsRefusedWithStatusAndNoSecretInTheError() async throws {
        let s = try XCTUnwrap(Self.server)
        let secret = "wrong-key-123456"
        let c = try Client(apiKey: secret, baseURL: s.baseURL)
        XCTAssertFalse(String(describing: c).contains(secret))
        do {
            _ = try await c.call(#"{"orgs":{"op":"list"}}"#)
            XCTFail("a wrong key was accepted")
        } catch let e as FastioError {
            guard case .Api(_, _, let status, _, _, _, _, _) = e else { return XCTFail("not an API error: \(e)") }
            XCTAssertEqual(status, 401)
            XCTAssertFalse(String(describing: e).contains(secret))
            XCTAssertFalse(String(reflecting: e).contains(secret))
            XCTAssertFalse(e.localizedDescription.contains(secret))
        }
    }

    func testUnreachableServerIsATransportError() async throws {
        // Port 9 (discard) on loopback: nothing listens there.
        let c = try Client(apiKey: "k", baseURL: "http://127.0.0.1:9/current/", timeout: 5)
        do {
            _ = try await c.call(#"{"orgs":{"op":"list"}}"#)
            XCTFail("a request to a closed port succeeded")
        } catch FastioError.Api(let kind, _, let status, _, _, _, _, _) {
            XCTAssertEqual(kind, "transport")
            XCTAssertNil(status)
        }
    }

    func testMissingSourceFileIsAnErrorNotACrash() async throws {
        let c = try client()
        let ws = try await workspace(c)
        do {
            _ = try await c.upload(file: work.appendingPathComponent("nope.bin"), workspace: ws)
            XCTFail("a missing file was uploaded")
        } catch is FastioError {
            XCTFail("a missing local file is a file error, not a Fast.io one")
        } catch {
            // Foundation's file error, as any file API would throw.
        }
    }

    func testWebhookSignedDeliveryVerifiesAndTamperedOneIsRefused() throws {
        let body = Data(#"{"event":"workspace_storage_file_added"}"#.utf8)
        let secret = "s3cret-for-swift"
        let signed = try WebhookSigner(scheme: .fastio, secret: secret).sign(id: nil, timestamp: nil, body: body)
        let headers = Dictionary(signed.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(try verifyWebhook(headers: headers, body: body, secret: secret).scheme, "fastio")
        // Rotation: the old secret first, the current one second.
        XCTAssertEqual(try verifyWebhook(headers: headers, body: body, secrets: ["old-secret-1", secret]).secretIndex, 1)
        var tampered = body
        tampered.append(0x20)
        do {
            _ = try verifyWebhook(headers: headers, body: tampered, secret: secret)
            XCTFail("a tampered body was accepted")
        } catch FastioError.Webhook(let kind, _, let detail) {
            XCTAssertEqual(kind, "no_matching_signature")
            XCTAssertFalse(detail.contains(secret))
        }
    }
}
