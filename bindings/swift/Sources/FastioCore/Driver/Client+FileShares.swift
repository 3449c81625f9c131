// File Shares (durable links to one file). Each method names one core call:
// the core builds the request (the link password only in its header, bad
// input refused before sending) and decides the one redirect a preview may
// follow, without credentials.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension Client {
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

    /// Who may use a `named_people` link: its grants.
    public func fileShareGrants(_ id: String) async throws -> [[String: Any]] {
        let text = try callText("fileshares", ["op": "grants", "fileshare_id": id])
        return try object(try await call(text, decode: "fileshare_grants"))["grants"] as? [[String: Any]] ?? []
    }

    /// Lets a user (by id) or an address `view`, `download` or `edit` the link.
    public func grantFileShare(_ id: String, capability: String, user: String? = nil, email: String? = nil) async throws {
        let text = try callText("fileshares", [
            "op": "grant_add", "fileshare_id": id, "grantee": try grantee(user: user, email: email),
            "capability": capability,
        ])
        _ = try await call(text)
    }

    /// Takes a grant back (the grantee goes in the query, as the service reads it).
    public func revokeFileShareGrant(_ id: String, user: String? = nil, email: String? = nil) async throws {
        let text = try callText("fileshares", [
            "op": "grant_remove", "fileshare_id": id, "grantee": try grantee(user: user, email: email),
        ])
        _ = try await call(text)
    }

    private func grantee(user: String?, email: String?) throws -> [String: String] {
        switch (user, email) {
        case (let u?, nil): return ["user": u]
        case (nil, let e?): return ["email": e]
        default: throw FastioError.Usage(detail: "give exactly one of user or email")
        }
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
}
