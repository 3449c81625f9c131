// File Shares (durable links to one file), unified search and notes. Each
// method names one core call: the core builds the request (the link password
// only in its header, bad input refused before sending) and decides the one
// redirect a preview may follow, without credentials.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a call applies: a workspace or a share.
public enum Place: Sendable {
    case workspace(String)
    case share(String)

    var profile: [String: Any] {
        switch self {
        case .workspace(let id): return ["workspace": id]
        case .share(let id): return ["share": id]
        }
    }
}

/// A compare-and-swap note update lost the race: `current` is the note now.
public struct NoteConflict: Error, @unchecked Sendable {
    /// The note as it is (`version_id`, `content`, …).
    public let current: [String: Any]
}

extension Client {
    /// A call as JSON text, built with Foundation so every value is escaped.
    func callText(_ group: String, _ fields: [String: Any?]) throws -> String {
        let body = fields.compactMapValues { $0 }
        let data = try JSONSerialization.data(withJSONObject: [group: body], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func object(_ decoded: Decoded) throws -> [String: Any] {
        guard let v = try JSONSerialization.jsonObject(with: Data(decoded.valueJson.utf8)) as? [String: Any] else {
            throw FastioError.Usage(detail: "the answer is not a JSON object")
        }
        return v
    }

    // MARK: File Shares

    /// A link to the file `node`; returns the File Share. `access` is
    /// `anyone_with_link` (the default), `any_registered` or `named_people`.
    public func createFileShare(
        workspace: String, node: String, title: String? = nil, access: String? = nil,
        password: String? = nil, expiresIn: UInt64? = nil
    ) async throws -> [String: Any] {
        let text = try callText("fileshares", [
            "op": "create", "workspace_id": workspace, "node_id": node, "title": title,
            "access_option": access, "password": password,
            "expires": expiresIn.map { ["in": $0] },
        ])
        return try object(try await call(text, decode: "fileshare"))
    }

    /// The link, its file and `effective_capability`.
    public func fileShareDetails(_ id: String, password: String? = nil) async throws -> [String: Any] {
        let text = try callText("fileshares", ["op": "details", "fileshare_id": id, "password": password])
        return try object(try await call(text))
    }

    /// Removes the password (`clearPassword`) or sets a new one.
    public func updateFileShare(
        _ id: String, title: String? = nil, password: String? = nil, clearPassword: Bool = false
    ) async throws -> [String: Any] {
        let pw: Any? = clearPassword ? "clear" : password.map { ["set": $0] }
        let text = try callText("fileshares", ["op": "update", "fileshare_id": id, "title": title, "password": pw])
        return try object(try await call(text, decode: "fileshare"))
    }

    /// Writes the File Share's file (or one `version`) to `destination`;
    /// returns its size. Nothing is left at `destination` unless the whole
    /// body arrived.
    public func downloadFileShare(
        _ id: String, to destination: URL, password: String? = nil, version: String? = nil
    ) async throws -> UInt64 {
        let fields: [String: Any?] = version == nil
            ? ["op": "read", "fileshare_id": id, "password": password]
            : ["op": "version_read", "fileshare_id": id, "version_id": version, "password": password]
        return try await fetchFile(try callText("fileshares", fields), follow: false, to: destination)
    }

    /// Writes a preview (`thumbnail`, `image`, `pdf`, …) to `destination`. The
    /// service answers with a redirect, which the core follows once with no
    /// credential at all.
    public func fileSharePreview(
        _ id: String, kind: String, to destination: URL, password: String? = nil
    ) async throws -> UInt64 {
        let text = try callText("fileshares", [
            "op": "preview", "fileshare_id": id, "preview_type": kind, "password": password,
        ])
        return try await fetchFile(text, follow: true, to: destination)
    }

    private func fetchFile(_ text: String, follow: Bool, to destination: URL) async throws -> UInt64 {
        var request = try core.build(callJson: text)
        var head = try await fetchHead(request)
        if follow, (300..<400).contains(Int(head.status)) {
            request = try core.followRedirect(fromUrl: request.url, response: head)
            head = try await fetchHead(request)
        }
        guard (200..<300).contains(Int(head.status)) else {
            // The core reads the refusal into a typed FastioError.Api.
            _ = try decodeResponse(
                target: "payload", response: head, resendable: try core.isResendable(callJson: text),
                maxBodyBytes: nil)
            throw FastioError.Usage(detail: "HTTP \(head.status) was not an error to the core")
        }
        let (partial, out) = try TokenFile.createBeside(destination, suffix: ".part", mode: 0o666)
        do {
            var size: UInt64 = 0
            for try await event in transport.stream(try transport.urlRequest(request)) {
                if case .data(let d) = event {
                    try out.write(contentsOf: d)
                    size += UInt64(d.count)
                }
            }
            try Task.checkCancellation()
            try out.synchronize()
            try out.close()
            guard rename(partial.path, destination.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
            }
            return size
        } catch {
            try? out.close()
            TokenFile.remove(partial)
            throw error
        }
    }

    /// The head of an answer with a small error body; a success's body is
    /// read again by `fetchFile` as a stream.
    private func fetchHead(_ request: Request) async throws -> Response {
        let r = try await send(request)
        return (200..<300).contains(Int(r.status)) ? Response(status: r.status, headers: r.headers, body: Data()) : r
    }

    // MARK: Unified search

    /// A unified search over files, metadata (workspaces) and comments,
    /// every bucket walked to its end on its own. Each hit is
    /// `{bucket, id, item}`; buckets the service reports as degraded end
    /// early and are returned beside the hits.
    public func search(
        _ query: String, in place: Place, pageSize: UInt32? = nil
    ) async throws -> (hits: [[String: Any]], degraded: [String]) {
        var fields: [String: Any?] = ["op": "unified", "profile": place.profile, "search": query]
        if let n = pageSize {
            var buckets = ["files", "comments"]
            if case .workspace = place { buckets.append("metadata") }
            for b in buckets { fields[b] = ["limit": n] }
        }
        var hits: [[String: Any]] = []
        var degraded: [String] = []
        for try await page in pages(try callText("search", fields)) {
            degraded += page.degraded
            for text in page.itemsJson {
                if let hit = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                    hits.append(hit)
                }
            }
        }
        return (hits, degraded)
    }

    // MARK: Notes

    /// A new note (`name` ends in `.md`; at most 100 KB); returns its node.
    public func createNote(_ name: String, content: String, in place: Place, parent: String = "root") async throws -> [String: Any] {
        let text = try callText("storage", [
            "op": "create_note", "profile": place.profile, "parent": parent, "name": name, "content": content,
        ])
        return try object(try await call(text))["node"] as? [String: Any] ?? [:]
    }

    /// Its text and node; `version` reads an older one.
    public func readNote(_ node: String, in place: Place, version: String? = nil) async throws -> (content: String, note: [String: Any]) {
        let text = try callText("storage", ["op": "read_note", "profile": place.profile, "node": node, "version_id": version])
        let v = try object(try await call(text))
        return (v["content"] as? String ?? "", v["note"] as? [String: Any] ?? [:])
    }

    /// Rewrites a note; with `ifVersion` only a note still at that version
    /// changes, else `NoteConflict` carries the note as it is.
    public func updateNote(
        _ node: String, in place: Place, content: String? = nil, name: String? = nil, ifVersion: String? = nil
    ) async throws -> [String: Any] {
        let text = try callText("storage", [
            "op": "update_note", "profile": place.profile, "node": node, "content": content, "name": name,
            "if_version_id": ifVersion,
        ])
        do {
            return try object(try await call(text))["node"] as? [String: Any] ?? [:]
        } catch let error as FastioError {
            // The core decides what a version conflict is and where its state is.
            if case .Api(_, _, _, _, _, _, _, let detailJson) = error,
                let current = versionConflict(errorDetailJson: detailJson),
                let state = try? JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any]
            {
                throw NoteConflict(current: state)
            }
            throw error
        }
    }
}
