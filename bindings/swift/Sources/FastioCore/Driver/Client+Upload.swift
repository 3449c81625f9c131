// Uploads: runs the core's upload machine. Reads come from a FileHandle, sends
// run as child tasks of a task group so several chunks are in flight at once,
// and every answer, timeout and read goes back to the machine one at a time.
// The core decides everything else, the resume token's save points included.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct UploadResult: Sendable, Equatable {
    public let nodeId: String?
    public let uploadId: String?
    public let size: UInt64
    /// Whole-file CRC32C, 8 lowercase hex digits (what the server checks).
    public let crc32c: String
    /// The whole-file digest asked for with `UploadOptions.fileDigest` (or
    /// `verifyStored`), when every byte went through it.
    public let digest: UploadDigest?
    /// What the check against the stored node found (`verifyStored`).
    public let stored: StoredCheck
    /// The most requests that were in flight at once.
    public let peakRequestsInFlight: Int
}

extension Client {
    /// Uploads a file into a workspace folder. With `tokenFile` the resume
    /// token is saved there whenever the core says so (as soon as the session
    /// exists, then while chunks are acknowledged) and removed once the file
    /// is stored; cancelling the task leaves it for `resume`. With
    /// `serverLimits` the core asks the server's `GET /upload/limits/` first
    /// and plans with its answer; a server that does not answer leaves the
    /// options as given.
    public func upload(
        file: URL, workspace: String, folder: String = "root", name: String? = nil,
        parallel: Int = Client.defaultParallel, options: UploadOptions = UploadOptions(), tokenFile: URL? = nil,
        serverLimits: Bool = false, progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        try await upload(
            file: file, to: .workspace(id: workspace), folder: folder, name: name, parallel: parallel,
            options: options, tokenFile: tokenFile, serverLimits: serverLimits, progress: progress)
    }

    /// Uploads a file into a workspace or a share.
    public func upload(
        file: URL, to target: Target, folder: String = "root", name: String? = nil,
        parallel: Int = Client.defaultParallel, options: UploadOptions = UploadOptions(), tokenFile: URL? = nil,
        serverLimits: Bool = false, progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        let size = try Self.fileSize(file)
        let request = UploadRequest(
            name: name ?? file.lastPathComponent, size: size, target: target, folderId: folder)
        var planned = Self.limited(options, parallel, tokenFile: tokenFile)
        if serverLimits { planned.fetchLimits = true }
        let up = try Upload(client: core, request: request, options: planned)
        return try await run(up, file: file, tokenFile: tokenFile, progress: progress)
    }

    /// Continues an upload from its token file. The core first asks the
    /// server which chunks it holds; only the others are read and sent.
    public func resume(
        tokenFile: URL, file: URL, parallel: Int = Client.defaultParallel, options: UploadOptions = UploadOptions(),
        progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        let token = try TokenFile.read(tokenFile)
        let up = try Upload.resume(
            client: core, tokenJson: token, options: Self.limited(options, parallel, tokenFile: tokenFile))
        return try await run(up, file: file, tokenFile: tokenFile, progress: progress)
    }

    /// At most `parallel` chunks in flight (never above limits given
    /// explicitly); the core hands out the token to save when there is a file
    /// to keep it in.
    static func limited(_ options: UploadOptions, _ parallel: Int, tokenFile: URL? = nil) -> UploadOptions {
        var o = options
        var limits = o.limits ?? defaultPlanLimits()
        let wanted = UInt32(clamping: max(parallel, 1))
        limits.maxInFlight = o.limits == nil ? wanted : max(1, min(wanted, limits.maxInFlight))
        o.limits = limits
        if tokenFile != nil { o.persistToken = true }
        return o
    }

    static func fileSize(_ url: URL) throws -> UInt64 {
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        guard let n = attrs[.size] as? NSNumber else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return n.uint64Value
    }

    private enum Event {
        case answer(id: UInt64, Result<Response, TransportFailure>)
        case timer(generation: Int)
    }

    private func run(
        _ up: Upload, file: URL, tokenFile: URL?, progress: ((UploadProgress) -> Void)?
    ) async throws -> UploadResult {
        let source = try FileHandle(forReadingFrom: file)
        defer { try? source.close() }
        let (events, sink) = AsyncStream<Event>.makeStream()
        var timer: Task<Void, Never>?
        defer {
            timer?.cancel()
            sink.finish()
        }
        let transport = self.transport

        return try await withThrowingTaskGroup(of: Void.self) { group in
            var inbox = events.makeAsyncIterator()
            var inFlight = 0
            var peak = 0
            var generation = 0

            // Waits for one answer, or for `deadline`, and feeds it to the machine.
            func receive(deadline: UInt64?) async throws {
                if inFlight == 0 && deadline == nil {
                    throw FastioError.Usage(detail: "upload stalled: nothing in flight and nothing to do")
                }
                if let deadline {
                    generation += 1
                    let g = generation
                    timer?.cancel()
                    timer = Task {
                        try? await sleep(untilMs: deadline)
                        if !Task.isCancelled { sink.yield(.timer(generation: g)) }
                    }
                }
                while true {
                    guard let event = await inbox.next() else {
                        // The stream only ends early when this task is cancelled.
                        try Task.checkCancellation()
                        throw FastioError.Usage(detail: "upload event stream ended")
                    }
                    switch event {
                    case .timer(let g):
                        // An older timer that fired after it was replaced says nothing.
                        guard deadline != nil, g == generation else { continue }
                        up.onTimeout(nowMs: monotonicMs())
                        return
                    case .answer(let id, let result):
                        inFlight -= 1
                        timer?.cancel()
                        // `.ignored` (a late answer the machine gave up on) needs nothing.
                        switch result {
                        case .success(let response):
                            _ = try up.onResponse(id: id, response: response, nowMs: monotonicMs())
                        case .failure(let f):
                            _ = try up.onTransportError(id: id, message: f.message, nowMs: monotonicMs())
                        }
                        return
                    }
                }
            }

            while true {
                try Task.checkCancellation()
                switch try up.nextAction(nowMs: monotonicMs()) {
                case .send(let id, let request)?:
                    let req = try transport.urlRequest(request)
                    inFlight += 1
                    peak = max(peak, inFlight)
                    group.addTask {
                        sink.yield(.answer(id: id, await transport.exchange(req)))
                    }
                case .read(let id, let offset, let len)?:
                    let data = try Self.read(source, offset: offset, len: len)
                    _ = try up.onData(id: id, data: data, nowMs: monotonicMs())
                case .persist(let token)?:
                    if let tokenFile { try TokenFile.write(token, to: tokenFile) }
                case .progress(let p)?:
                    progress?(p)
                case .done(let uploadId, let nodeId, let size, let crc32c, let digest, let stored)?:
                    // The saved token is obsolete once the file is stored.
                    if let tokenFile { TokenFile.remove(tokenFile) }
                    group.cancelAll()
                    return UploadResult(
                        nodeId: nodeId, uploadId: uploadId, size: size, crc32c: crc32c, digest: digest,
                        stored: stored, peakRequestsInFlight: peak)
                case .wait(let until)?:
                    try await receive(deadline: until)
                case nil:
                    try await receive(deadline: nil)
                }
            }
        }
    }

    /// `len` bytes at `offset`, fewer only at the end of the file (the core
    /// then reports the file as changed).
    static func read(_ h: FileHandle, offset: UInt64, len: UInt64) throws -> Data {
        try h.seek(toOffset: offset)
        var out = Data()
        let want = Int(clamping: len)
        out.reserveCapacity(want)
        while out.count < want {
            guard let piece = try h.read(upToCount: want - out.count), !piece.isEmpty else { break }
            out.append(piece)
        }
        return out
    }
}
