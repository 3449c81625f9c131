// Unified search, notes, members and comments. Each method names one core
// call: the core builds the request, refuses bad input before sending and
// decides what an answer means (a version conflict included).
import Foundation

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

    // MARK: Members

    /// Whose members: a workspace, a share or an org.
    public enum Entity: Sendable {
        case workspace(String)
        case share(String)
        case org(String)

        var json: [String: Any] {
            switch self {
            case .workspace(let id): return ["workspace": id]
            case .share(let id): return ["share": id]
            case .org(let id): return ["org": id]
            }
        }
    }

    /// Every member, the owner first.
    public func members(of entity: Entity) async throws -> [[String: Any]] {
        try await items(try callText("members", ["op": "list", "entity": entity.json]))
    }

    /// Adds a user by id, or invites an e-mail address; returns the answer
    /// (a `member` or an `invitation`).
    public func addMember(_ who: String, to entity: Entity, permissions: String = "member") async throws -> [String: Any] {
        let text = try callText("members", ["op": "add", "entity": entity.json, "member": who, "permissions": permissions])
        return try object(try await call(text))
    }

    /// Revokes a pending invitation.
    public func revokeInvitation(_ invitation: String, of entity: Entity) async throws {
        let text = try callText("members", ["op": "revoke_invitation", "entity": entity.json, "invitation_id": invitation])
        _ = try await call(text)
    }

    // MARK: Comments

    /// A comment on a file, or a reply to `replyTo`; returns it.
    public func addComment(
        _ body: String, on node: String, in place: Place, replyTo: String? = nil, reference: [String: Any]? = nil
    ) async throws -> [String: Any] {
        let text = try callText("comments", [
            "op": "create", "profile": place.profile, "node": node, "body": body,
            "parent_id": replyTo, "reference": reference,
        ])
        return try object(try await call(text))["comment"] as? [String: Any] ?? [:]
    }

    /// The comments on `node`, oldest first.
    public func comments(on node: String, in place: Place) async throws -> [[String: Any]] {
        try await items(try callText("comments", ["op": "list", "profile": place.profile, "node": node]))
    }

    /// Deletes comments (one call for several).
    public func deleteComments(_ ids: [String]) async throws {
        let text = ids.count == 1
            ? try callText("comments", ["op": "delete", "comment_id": ids[0]])
            : try callText("comments", ["op": "bulk_delete", "comment_ids": ids])
        _ = try await call(text)
    }
}
