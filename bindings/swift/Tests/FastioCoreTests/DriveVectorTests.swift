// drive/: the host contract, step by step. Each trace drives the upload
// machine through the UniFFI projection with one clock that starts at 0 and
// checks every action it hands out and what every answer fed back becomes
// (accepted, ignored, or thrown as misuse). The pager traces walk listings
// through the core's `Pager` the way `Client.pages` does, checking every
// request and every page. The download traces drive the verified download
// the same way, streamed bodies fed piece by piece, a failure thrown from
// `nextAction`. `core/tests/drive_vectors.rs` is the reference replayer;
// the format is in `tests/vectors/drive/README.md`.
import FastioCore
import Foundation
import XCTest

final class DriveVectorTests: XCTestCase {
    func testEveryUploadTraceReplays() throws {
        let doc = try Vectors.load("drive", "upload.json")
        XCTAssertEqual(doc["version"]?.int, 1)
        let cases = try XCTUnwrap(doc["cases"]?.array)
        XCTAssertGreaterThanOrEqual(cases.count, 5, "the traces are all there")
        var replayed = 0
        var steps = 0
        for c in cases {
            let name = c["name"]?.string ?? "?"
            check(name) {
                steps += try replay(doc, c)
                replayed += 1
            }
        }
        XCTAssertEqual(replayed, cases.count, "every trace replayed to its end")
        print("drive vectors: \(replayed) traces, \(steps) steps checked")
    }

    /// The options of a trace: `limits` from the core's defaults, the rest
    /// by name; anything absent keeps the core's default.
    private func options(_ o: JSON) -> UploadOptions {
        var limits = defaultPlanLimits()
        if let n = o["chunk_size"]?.u64 { limits.chunkSize = n }
        if let n = o["single_request_max"]?.u64 { limits.singleRequestMax = n }
        if let n = o["parallel"]?.u64 { limits.maxInFlight = UInt32(n) }
        var out = UploadOptions()
        out.limits = limits
        out.requestTimeoutMs = o["request_timeout_ms"]?.u64
        out.seed = o["seed"]?.u64
        out.fetchLimits = o["fetch_limits"]?.bool ?? false
        out.persistToken = o["persist_token"]?.bool ?? false
        out.fileDigest = o["file_digest"]?.string
        out.verifyStored = o["verify_stored"]?.bool ?? false
        return out
    }

    /// `a=1&b=2` as a map (the traces' values need no decoding).
    private func pairs(_ query: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for p in query.split(separator: "&") where !p.isEmpty {
            let kv = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        return out
    }

    private func checkSend(_ at: String, _ want: JSON, base: String, _ request: Request) throws {
        XCTAssertEqual(request.method, want["method"]?.string, "\(at): method of \(request.url)")
        XCTAssertTrue(request.url.hasPrefix(base), "\(at): \(request.url) is under \(base)")
        let rest = request.url.dropFirst(base.count)
        let path = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        XCTAssertEqual(String(path[0]), want["path"]?.string, "\(at): path")
        let got = pairs(path.count > 1 ? path[1] : "")
        for (k, v) in want["query"]?.object ?? [] {
            XCTAssertEqual(got[k], v.string, "\(at): query \(k)")
        }
    }

    /// What feeding an answer became, by the traces' names.
    private func fed(_ body: () throws -> Fed) -> String {
        do {
            switch try body() {
            case .accepted: return "accepted"
            case .ignored: return "ignored"
            }
        } catch FastioError.Usage {
            return "misuse"
        } catch {
            return "unexpected error \(error)"
        }
    }

    /// Replays one trace; returns the number of steps checked.
    private func replay(_ doc: JSON, _ c: JSON) throws -> Int {
        let name = try XCTUnwrap(c["name"]?.string)
        XCTAssertEqual(c["machine"]?.string, "upload", name)
        let base = try XCTUnwrap(doc["base_url"]?.string)
        let client = try CoreClient(baseUrl: base, apiKey: try XCTUnwrap(doc["api_key"]?.string), userAgent: nil)
        let spec = try XCTUnwrap(c["spec"])
        let size = try XCTUnwrap(spec["size"]?.u64)
        XCTAssertEqual(doc["file"]?["kind"]?.string, "pattern")
        let file = Data((0..<Int(size)).map { UInt8($0 % 251) })
        let request = UploadRequest(
            name: try XCTUnwrap(spec["name"]?.string), size: size,
            target: .workspace(id: try XCTUnwrap(spec["workspace"]?.string)),
            folderId: try XCTUnwrap(spec["folder"]?.string), placeIn: nil)
        let up = try Upload(client: client, request: request, options: options(c["options"] ?? .null))
        var now: UInt64 = 0
        var ids: [String: UInt64] = [:]
        var reads: [String: (UInt64, UInt64)] = [:]
        let steps = try XCTUnwrap(c["steps"]?.array)
        for (i, step) in steps.enumerated() {
            let at = "\(name) step \(i)"
            if let want = step["pull"] {
                let kind = want.object?.first?.0
                let got: UploadAction?
                do {
                    got = try up.nextAction(nowMs: now)
                } catch {
                    // A failure is the machine's last action, thrown here.
                    XCTAssertEqual(kind, "failed", "\(at): \(error)")
                    XCTAssertEqual(want["failed"]?.string, "integrity", at)
                    guard case FastioError.Integrity? = error as? FastioError else {
                        XCTFail("\(at): wanted an integrity failure, got \(error)")
                        return i
                    }
                    continue
                }
                switch (kind, got) {
                case ("send"?, .send(let id, let req)?):
                    try checkSend(at, try XCTUnwrap(want["send"]), base: base, req)
                    if let n = step["as"]?.string { ids[n] = id }
                case ("read"?, .read(let id, let offset, let len)?):
                    XCTAssertEqual(want["read"]?["offset"]?.u64, offset, at)
                    XCTAssertEqual(want["read"]?["len"]?.u64, len, at)
                    let n = try XCTUnwrap(step["as"]?.string, "\(at): a read is named")
                    ids[n] = id
                    reads[n] = (offset, len)
                case ("wait"?, .wait(let until)?):
                    XCTAssertEqual(want["wait"]?.u64, until, at)
                case ("persist"?, .persist(let tokenJson)?):
                    let token = try JSON.parse(tokenJson)
                    XCTAssertEqual(token["upload_id"]?.string, want["persist"]?["upload_id"]?.string, at)
                    let acked = (token["acked"]?.array ?? []).map { $0["order"]?.u64 }
                    let wantAcked = (want["persist"]?["acked"]?.array ?? []).map { $0.u64 }
                    XCTAssertEqual(acked, wantAcked, at)
                case ("progress"?, .progress(let p)?):
                    XCTAssertEqual(want["progress"]?["chunks_acked"]?.u64, p.chunksAcked, at)
                    XCTAssertEqual(want["progress"]?["bytes_acked"]?.u64, p.bytesAcked, at)
                case ("done"?, .done(_, let nodeId, let doneSize, _, let digest, let stored)?):
                    XCTAssertEqual(want["done"]?["node_id"]?.string, nodeId, at)
                    XCTAssertEqual(want["done"]?["size"]?.u64, doneSize, at)
                    let storedName: String
                    switch stored {
                    case .notAsked: storedName = "not_asked"
                    case .matched: storedName = "matched"
                    case .unavailable: storedName = "unavailable"
                    }
                    XCTAssertEqual(want["done"]?["stored"]?.string, storedName, at)
                    XCTAssertEqual(want["done"]?["digest"]?["algo"]?.string, digest?.algo, at)
                    XCTAssertEqual(want["done"]?["digest"]?["hex"]?.string, digest?.hex, at)
                case ("none"?, nil):
                    break
                default:
                    XCTFail("\(at): wanted \(want), got \(String(describing: got))")
                    return i
                }
            } else if let n = step["respond"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                let answer = try XCTUnwrap(step["answer"])
                let response = Response(
                    status: UInt16(try XCTUnwrap(answer["status"]?.u64)), headers: [],
                    body: Data(try XCTUnwrap(answer["body"]?.string).utf8))
                XCTAssertEqual(fed { try up.onResponse(id: id, response: response, nowMs: now) }, step["fed"]?.string, at)
            } else if let n = step["data"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no read \(n)")
                let (offset, len) = try XCTUnwrap(reads[n])
                let bytes = file.subdata(in: Int(offset)..<Int(offset + len))
                XCTAssertEqual(fed { try up.onData(id: id, data: bytes, nowMs: now) }, step["fed"]?.string, at)
            } else if let n = step["transport_error"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                XCTAssertEqual(
                    fed { try up.onTransportError(id: id, message: "connection reset", nowMs: now) },
                    step["fed"]?.string, at)
            } else if let t = step["timeout"]?.u64 {
                now = t
                up.onTimeout(nowMs: now)
            } else if let t = step["clock"]?.u64 {
                now = t
            } else {
                XCTFail("\(at): unknown step \(step)")
                return i
            }
        }
        return steps.count
    }

    // MARK: pager.json

    func testEveryPagerTraceReplays() throws {
        let doc = try Vectors.load("drive", "pager.json")
        XCTAssertEqual(doc["version"]?.int, 1)
        let cases = try XCTUnwrap(doc["cases"]?.array)
        XCTAssertGreaterThanOrEqual(cases.count, 8, "the traces are all there")
        var checked: [String: Int] = [:]
        for c in cases {
            let name = c["name"]?.string ?? "?"
            check(name) { checked[name] = try replayPager(doc, c) }
        }
        var want: [String: Int] = [:]
        for c in cases {
            want[c["name"]?.string ?? "?"] = max(1, c["steps"]?.array?.count ?? 0)
        }
        XCTAssertEqual(checked, want, "every pager trace replayed, every step")
        print("pager vectors: \(checked.count) traces, \(checked.values.reduce(0, +)) steps checked")
    }

    /// Replays one pager trace; returns the number of steps checked (1 for a refused call).
    private func replayPager(_ doc: JSON, _ c: JSON) throws -> Int {
        let name = try XCTUnwrap(c["name"]?.string)
        let base = try XCTUnwrap(doc["base_url"]?.string)
        let client = try CoreClient(baseUrl: base, apiKey: try XCTUnwrap(doc["api_key"]?.string), userAgent: nil)
        let call = try XCTUnwrap(c["call"]).write()
        let maxPages = c["max_pages"]?.u64.map { UInt32($0) }
        if let refused = c["refused"]?.string {
            do {
                _ = try Pager(client: client, callJson: call, maxPages: maxPages)
                XCTFail("\(name): a pager was made over a call that is no listing")
                return 0
            } catch FastioError.InvalidInput(let kind, _) {
                XCTAssertEqual(kind, refused, name)
            }
            XCTAssertEqual(c["steps"]?.array?.count, 0, name)
            return 1
        }
        let pager = try Pager(client: client, callJson: call, maxPages: maxPages)
        let steps = try XCTUnwrap(c["steps"]?.array)
        for (i, step) in steps.enumerated() {
            let at = "\(name) step \(i)"
            if step["end"] != nil {
                XCTAssertNil(try pager.nextRequest(), "\(at): the walk is over")
                XCTAssertTrue(pager.isDone(), at)
            } else if let kind = step["next_error"]?.string {
                do {
                    let got = try pager.nextRequest()
                    XCTFail("\(at): wanted \(kind), got \(String(describing: got))")
                    return i
                } catch FastioError.Transfer(let k, _) {
                    XCTAssertEqual(k, kind, at)
                }
            } else {
                let want = try XCTUnwrap(step["request"], "\(at): unknown step \(step)")
                let request = try XCTUnwrap(try pager.nextRequest(), "\(at): a page is due")
                try checkSend(at, want, base: base, request)
                let query = request.url.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
                let names = Set(pairs(query).keys)
                for absent in want["absent"]?.array ?? [] {
                    let k = try XCTUnwrap(absent.string)
                    XCTAssertFalse(names.contains(k), "\(at): \(k) is absent from \(request.url)")
                }
                let answer = try XCTUnwrap(step["answer"])
                let response = Response(
                    status: UInt16(try XCTUnwrap(answer["status"]?.u64)), headers: [],
                    body: Data(try XCTUnwrap(answer["body"]?.string).utf8))
                if let page = step["page"] {
                    let got = try pager.onResponse(response: response)
                    let ids = try got.itemsJson.map { try JSON.parse($0)["id"]?.string }
                    let wantIds = (page["items"]?.array ?? []).map { $0.string }
                    XCTAssertEqual(ids, wantIds, "\(at): items")
                    XCTAssertEqual(got.done, try XCTUnwrap(page["done"]?.bool), "\(at): done")
                    XCTAssertEqual(got.done, pager.isDone(), at)
                    XCTAssertEqual(got.degraded, (page["degraded"]?.array ?? []).compactMap { $0.string }, "\(at): degraded")
                    XCTAssertEqual(got.status, UInt16(answer["status"]?.u64 ?? 0), at)
                } else {
                    let api = try XCTUnwrap(step["error"]?["api"], "\(at): a page or an error")
                    do {
                        let got = try pager.onResponse(response: response)
                        XCTFail("\(at): wanted an API error, got \(got)")
                        return i
                    } catch FastioError.Api(let kind, _, let status, _, _, _, _, _) {
                        XCTAssertEqual(status.map { UInt64($0) }, api["status"]?.u64, at)
                        if let k = api["kind"]?.string { XCTAssertEqual(kind, k, at) }
                    }
                }
            }
        }
        return max(1, steps.count)
    }

    // MARK: download.json

    func testEveryDownloadTraceReplays() throws {
        let doc = try Vectors.load("drive", "download.json")
        XCTAssertEqual(doc["version"]?.int, 1)
        let cases = try XCTUnwrap(doc["cases"]?.array)
        XCTAssertGreaterThanOrEqual(cases.count, 4, "the traces are all there")
        let names = cases.map { $0["name"]?.string ?? "?" }
        XCTAssertEqual(Set(names).count, cases.count, "trace names are distinct")
        var checked: [String: Int] = [:]
        for (name, c) in zip(names, cases) {
            check(name) { checked[name] = try replayDownload(doc, c) }
        }
        var want: [String: Int] = [:]
        for (name, c) in zip(names, cases) {
            want[name] = c["steps"]?.array?.count ?? -1
        }
        XCTAssertEqual(checked, want, "every download trace replayed, every step")
        let total = checked.values.reduce(0, +)
        XCTAssertGreaterThanOrEqual(total, 40, "every step was replayed")
        print("download vectors: \(checked.count) traces, \(total) steps checked")
    }

    /// The `failed` kind of a download trace for an error `nextAction` threw.
    private func downloadFailure(_ error: Error) -> String {
        switch error as? FastioError {
        case .Integrity?: return "integrity"
        case .Api?: return "api"
        case .Transfer(let kind, _)?: return kind
        default: return "unexpected error \(error)"
        }
    }

    /// Replays one download trace; returns the number of steps checked.
    private func replayDownload(_ doc: JSON, _ c: JSON) throws -> Int {
        let name = try XCTUnwrap(c["name"]?.string)
        let base = try XCTUnwrap(doc["base_url"]?.string)
        let client = try CoreClient(baseUrl: base, apiKey: try XCTUnwrap(doc["api_key"]?.string), userAgent: nil)
        XCTAssertEqual(doc["file"]?["kind"]?.string, "pattern")
        let size = try XCTUnwrap(doc["file"]?["size"]?.u64)
        let file = Data((0..<Int(size)).map { UInt8($0 % 251) })
        let spec = try XCTUnwrap(doc["spec"])
        let request = DownloadRequest(
            target: .workspace(id: try XCTUnwrap(spec["workspace"]?.string)),
            nodeId: try XCTUnwrap(spec["node"]?.string), versionId: nil, requireHash: false)
        let d = Download(client: client, request: request, options: DownloadOptions(seed: try XCTUnwrap(doc["seed"]?.u64)))
        var now: UInt64 = 0
        var ids: [String: UInt64] = [:]
        let steps = try XCTUnwrap(c["steps"]?.array)
        for (i, step) in steps.enumerated() {
            let at = "\(name) step \(i)"
            if let pull = step["pull"] {
                let (kind, want) = try XCTUnwrap(pull.object?.first, "\(at): a pull")
                let got: DownloadAction?
                do {
                    got = try d.nextAction(nowMs: now)
                } catch {
                    guard kind == "failed" else {
                        XCTFail("\(at): wanted \(pull), got \(error)")
                        return i
                    }
                    XCTAssertEqual(downloadFailure(error), want.string, "\(at): \(error)")
                    continue
                }
                switch (kind, got) {
                case ("send", .send(let id, let req, let streamsBody)?):
                    XCTAssertEqual(streamsBody, want["stream"]?.bool, "\(at): stream")
                    if let url = want["url"]?.string {
                        XCTAssertEqual(req.url, url, "\(at): url")
                        XCTAssertEqual(req.method, want["method"]?.string, "\(at): method")
                    } else {
                        try checkSend(at, want, base: base, req)
                    }
                    if let creds = want["credentials"]?.bool {
                        let has = req.headers.contains { $0.name.caseInsensitiveCompare("authorization") == .orderedSame }
                        XCTAssertEqual(has, creds, "\(at): credentials")
                    }
                    ids[try XCTUnwrap(step["as"]?.string, "\(at): a send is named")] = id
                case ("wait", .wait(let until)?):
                    XCTAssertEqual(until, want.u64, "\(at): wait")
                case ("progress", .progress(let bytes, let total)?):
                    XCTAssertEqual(bytes, want["bytes"]?.u64, "\(at): bytes")
                    XCTAssertEqual(total, want["total"]?.u64, "\(at): total")
                case ("done", .done(let nodeId, let doneSize, let sha256, _, _, _)?):
                    XCTAssertEqual(nodeId, spec["node"]?.string, "\(at): node")
                    XCTAssertEqual(doneSize, want["size"]?.u64, "\(at): size")
                    XCTAssertEqual(sha256, want["sha256"]?.string, "\(at): sha256")
                case ("none", nil):
                    break
                default:
                    XCTFail("\(at): wanted \(pull), got \(String(describing: got))")
                    return i
                }
            } else if let n = step["respond"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                let answer = try XCTUnwrap(step["answer"])
                var headers: [Header] = []
                for h in answer["headers"]?.array ?? [] {
                    let pair = try XCTUnwrap(h.array, "\(at): a header is [name, value]")
                    XCTAssertEqual(pair.count, 2, at)
                    headers.append(Header(name: try XCTUnwrap(pair[0].string), value: try XCTUnwrap(pair[1].string)))
                }
                let response = Response(
                    status: UInt16(try XCTUnwrap(answer["status"]?.u64)), headers: headers,
                    body: Data(try XCTUnwrap(answer["body"]?.string).utf8))
                XCTAssertEqual(fed { try d.onResponse(id: id, response: response, nowMs: now) }, step["fed"]?.string, at)
            } else if let n = step["data"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                let range = try XCTUnwrap(step["range"]?.array)
                let a = Int(try XCTUnwrap(range.first?.u64))
                let b = Int(try XCTUnwrap(range.last?.u64))
                XCTAssertEqual(fed { try d.onData(id: id, data: file.subdata(in: a..<b)) }, step["fed"]?.string, at)
            } else if let n = step["end"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                XCTAssertEqual(fed { try d.onEnd(id: id) }, step["fed"]?.string, at)
            } else if let n = step["transport_error"]?.string {
                let id = try XCTUnwrap(ids[n], "\(at): no request \(n)")
                XCTAssertEqual(
                    fed { try d.onTransportError(id: id, message: "connection reset", nowMs: now) },
                    step["fed"]?.string, at)
            } else if let t = step["timeout"]?.u64 {
                now = t
                d.onTimeout(nowMs: now)
            } else if let t = step["clock"]?.u64 {
                now = t
            } else {
                XCTFail("\(at): unknown step \(step)")
                return i
            }
        }
        return steps.count
    }
}
