// Uploads: runs the core's upload machine. Reads come from a FileHandle, sends
// run as child tasks of a task group so several chunks are in flight at once,
// and every answer, timeout and read goes back to the machine one at a time.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct UploadResult: Sendable, Equatable {
    public let nodeId: String?
    public let uploadId: String?
    public let size: UInt64
    /// The most requests that were in flight at once.
    public let peakRequestsInFlight: Int
}

extension Client {
    /// Uploads a file into a workspace folder. With `tokenFile` the resume
    /// token is kept there while the upload runs and removed once the file
    /// is stored; cancelling the task leaves it for `resume`. With
    /// `serverLimits` the server's `GET /upload/limits/` is asked first and the
    /// plan narrowed to its answer (chunk size and bounds, maximums); a server
    /// that does not answer leaves the options as given.
    public func upload(
        file: URL, workspace: String, folder: String = "root", name: String? = nil,
        parallel: Int = 3, options: UploadOptions = UploadOptions(), tokenFile: URL? = nil,
        serverLimits: Bool = false, progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        try await upload(
            file: file, to: .workspace(id: workspace), folder: folder, name: name, parallel: parallel,
            options: options, tokenFile: tokenFile, serverLimits: serverLimits, progress: progress)
    }

    /// Uploads a file into a workspace or a share.
    public func upload(
        file: URL, to target: Target, folder: String = "root", name: String? = nil,
        parallel: Int = 3, options: UploadOptions = UploadOptions(), tokenFile: URL? = nil,
        serverLimits: Bool = false, progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        let size = try Self.fileSize(file)
        let request = UploadRequest(
            name: name ?? file.lastPathComponent, size: size, target: target, folderId: folder)
        var planned = Self.limited(options, parallel)
        if serverLimits { planned = try await narrowedToServer(planned, target: target, folder: folder) }
        let up = try Upload(client: core, request: request, options: planned)
        return try await run(up, file: file, tokenFile: tokenFile, progress: progress)
    }

    /// `options` narrowed to the server's `/upload/limits/` answer for this folder.
    func narrowedToServer(_ options: UploadOptions, target: Target, folder: String) async throws -> UploadOptions {
        let instance: String
        switch target {
        case .workspace(let id), .share(let id): instance = id
        }
        let ask: [String: Any] = [
            "upload": ["op": "limits", "action": "create", "instance_id": instance, "folder_id": folder]
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ask), as: UTF8.self)
        let stated: Decoded
        do {
            stated = try await call(json)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A refusal or no answer: plan with what was given.
            return options
        }
        var o = options
        o.limits = try planLimitsFromServer(limitsJson: stated.valueJson, fallback: o.limits ?? defaultPlanLimits())
        return o
    }

    /// Continues an upload from its token file. The core first asks the
    /// server which chunks it holds; only the others are read and sent.
    public func resume(
        tokenFile: URL, file: URL, parallel: Int = 3, options: UploadOptions = UploadOptions(),
        progress: ((UploadProgress) -> Void)? = nil
    ) async throws -> UploadResult {
        let token = try TokenFile.read(tokenFile)
        let up = try Upload.resume(client: core, tokenJson: token, options: Self.limited(options, parallel))
        return try await run(up, file: file, tokenFile: tokenFile, progress: progress)
    }

    /// At most `parallel` chunks in flight (never above limits given explicitly).
    static func limited(_ options: UploadOptions, _ parallel: Int) -> UploadOptions {
        var o = options
        var limits = o.limits ?? defaultPlanLimits()
        let wanted = UInt32(clamping: max(parallel, 1))
        limits.maxInFlight = o.limits == nil ? wanted : max(1, min(wanted, limits.maxInFlight))
        o.limits = limits
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
            var lastToken: String?

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
                        do {
                            switch result {
                            case .success(let response):
                                try up.onResponse(id: id, response: response, nowMs: monotonicMs())
                            case .failure(let f):
                                try up.onTransportError(id: id, message: f.message, nowMs: monotonicMs())
                            }
                        } catch FastioError.Usage(let detail) where detail.contains("abandoned") {
                            // The machine gave up on this request at its deadline and
                            // already acted on that; its late answer is ignored.
                        }
                        if let tokenFile, let token = up.snapshot(), token != lastToken {
                            try TokenFile.write(token, to: tokenFile)
                            lastToken = token
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
                    try up.onData(id: id, data: data, nowMs: monotonicMs())
                case .progress(let p)?:
                    progress?(p)
                case .done(let uploadId, let nodeId, let size)?:
                    if let tokenFile { TokenFile.remove(tokenFile) }
                    group.cancelAll()
                    return UploadResult(nodeId: nodeId, uploadId: uploadId, size: size, peakRequestsInFlight: peak)
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
