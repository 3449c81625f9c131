// Verified downloads: runs the core's download machine. The file body streams
// from URLSession straight to disk and through the core's verifier; nothing
// reaches the destination path unless every byte matched the server's digest.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct DownloadResult: Sendable, Equatable {
    public let nodeId: String
    public let size: UInt64
    public let sha256: String
    public let crc32c: String
    /// The algorithm of the server's digest the bytes were checked against.
    public let checkedAlgo: String?
}

extension Client {
    /// Downloads a file of a workspace to `destination`, verified as it
    /// streams. On any failure (cancellation included) the partial file is removed.
    public func download(
        node: String, workspace: String, to destination: URL,
        progress: ((_ bytes: UInt64, _ total: UInt64?) -> Void)? = nil
    ) async throws -> DownloadResult {
        try await download(node: node, from: .workspace(id: workspace), to: destination, progress: progress)
    }

    public func download(
        node: String, from target: Target, to destination: URL,
        options: DownloadOptions = DownloadOptions(),
        progress: ((_ bytes: UInt64, _ total: UInt64?) -> Void)? = nil
    ) async throws -> DownloadResult {
        let dl = Download(client: core, request: DownloadRequest(target: target, nodeId: node), options: options)
        let (partial, out) = try TokenFile.createBeside(destination, suffix: ".part", mode: 0o666)
        do {
            // Bounded so a machine that never finishes cannot spin forever.
            for _ in 0..<10_000 {
                try Task.checkCancellation()
                guard let action = try dl.nextAction(nowMs: monotonicMs()) else {
                    throw FastioError.Usage(detail: "download stalled: nothing in flight and nothing to do")
                }
                switch action {
                case .wait(let until):
                    try await sleep(untilMs: until)
                    dl.onTimeout(nowMs: monotonicMs())
                case .progress(let bytes, let total):
                    progress?(bytes, total)
                case .send(let id, let request, let streamsBody):
                    let req = try transport.urlRequest(request)
                    if streamsBody {
                        try await receiveBody(req, id: id, into: out, dl, progress: progress)
                    } else {
                        switch await transport.exchange(req) {
                        case .success(let r): _ = try dl.onResponse(id: id, response: r, nowMs: monotonicMs())
                        case .failure(let f): _ = try dl.onTransportError(id: id, message: f.message, nowMs: monotonicMs())
                        }
                    }
                case .done(let nodeId, let size, let sha256, let crc32c, let checkedAlgo, _):
                    try out.synchronize()
                    try out.close()
                    // One atomic step: the destination is the old file or the new, never neither.
                    guard rename(partial.path, destination.path) == 0 else {
                        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
                    }
                    return DownloadResult(
                        nodeId: nodeId, size: size, sha256: sha256, crc32c: crc32c, checkedAlgo: checkedAlgo)
                }
            }
            throw FastioError.Usage(detail: "download did not finish within its action budget")
        } catch {
            try? out.close()
            TokenFile.remove(partial)
            throw error
        }
    }

    /// The file body: the head goes to the machine, then the bytes, written
    /// to `out` and fed to the verifier in blocks of about 1 MiB.
    private func receiveBody(
        _ req: URLRequest, id: UInt64, into out: FileHandle, _ dl: Download,
        progress: ((_ bytes: UInt64, _ total: UInt64?) -> Void)?
    ) async throws {
        // While the body flows the machine has nothing to send; asking it
        // after each block surfaces its progress (and a failure, thrown, at once).
        func feed(_ block: Data) throws {
            try out.write(contentsOf: block)
            _ = try dl.onData(id: id, data: block)
            if case .progress(let bytes, let total)? = try dl.nextAction(nowMs: monotonicMs()) {
                progress?(bytes, total)
            }
        }
        let block = 1 << 20
        var pending = Data()
        var status: UInt16?
        var headers: [Header] = []
        do {
            for try await event in transport.stream(req) {
                switch event {
                case .head(let s, let h):
                    status = s
                    headers = h
                    if (200..<300).contains(Int(s)) {
                        _ = try dl.onResponse(id: id, response: Response(status: s, headers: h, body: Data()), nowMs: monotonicMs())
                    }
                case .data(let d):
                    let ok = status.map { (200..<300).contains(Int($0)) } ?? false
                    // An error body is kept only up to one block: the core reads
                    // its code from the start and a longer one is not an API answer.
                    if ok || pending.count < block { pending.append(d) }
                    if ok, pending.count >= block {
                        try feed(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
        } catch let failure as TransportFailure {
            // Before the head the core may retry; after it the break is final.
            _ = try dl.onTransportError(id: id, message: failure.message, nowMs: monotonicMs())
            return
        }
        // A cancelled task ends the stream quietly; that is not the body's end.
        try Task.checkCancellation()
        guard let status else {
            _ = try dl.onTransportError(id: id, message: "no response head", nowMs: monotonicMs())
            return
        }
        if (200..<300).contains(Int(status)) {
            if !pending.isEmpty { try feed(pending) }
            _ = try dl.onEnd(id: id)
        } else {
            // A refusal: the whole (small) error body goes with the head so
            // the core can read the Fast.io error code from it.
            _ = try dl.onResponse(id: id, response: Response(status: status, headers: headers, body: pending), nowMs: monotonicMs())
        }
    }
}
