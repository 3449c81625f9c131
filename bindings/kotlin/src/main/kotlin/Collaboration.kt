// Unified search, notes, members and comments. Each method names one core call, put together by
// the core's CallBuilder; the core builds it, refuses bad input before sending and decides what
// an answer means (a version conflict included).
package dev.fastiocore.driver

import dev.fastiocore.*

/** Where a call applies: a workspace or a share. */
sealed class Place(val tag: String, val id: String) {
    class Workspace(id: String) : Place("workspace", id)
    class Share(id: String) : Place("share", id)
}

/** A compare-and-swap note update lost the race: [currentJson] is the note as it is now. */
class NoteConflictException(val currentJson: String, cause: FastioException) :
    Exception("the note changed since the version given", cause)

/** A unified search's hits (each `{"bucket", "id", "item"}` as JSON text) and the buckets that answered degraded. */
data class SearchResult(val hitsJson: List<String>, val degraded: List<String>)

/** A unified search over files, metadata (workspaces) and comments, every bucket walked to its end. */
fun FastioClient.search(query: String, place: Place, pageSize: Long? = null): SearchResult {
    var b = CallBuilder("search", "unified").tagged("profile", place.tag, place.id).text("search", query)
    if (pageSize != null) {
        val buckets = if (place is Place.Workspace) listOf("files", "metadata", "comments") else listOf("files", "comments")
        for (bucket in buckets) b = b.taggedNumber(bucket, "limit", pageSize.toULong())
    }
    val hits = ArrayList<String>()
    val degraded = ArrayList<String>()
    for (page in pages(b.json())) {
        hits += page.itemsJson
        degraded += page.degraded
    }
    return SearchResult(hits, degraded)
}

class Notes internal constructor(private val client: FastioClient) {
    private fun op(op: String, place: Place) = CallBuilder("storage", op).tagged("profile", place.tag, place.id)

    /** A new note ([name] ends in `.md`; at most 100 KB); returns the answer as JSON text. */
    fun create(name: String, content: String, place: Place, parent: String = "root"): String =
        client.call(op("create_note", place).text("parent", parent).text("name", name).text("content", content).json())

    /** `{content, note}` as JSON text; [version] reads an older one. */
    fun read(node: String, place: Place, version: String? = null): String =
        client.call(op("read_note", place).text("node", node).opt("version_id", version).json())

    /** Rewrites a note; with [ifVersion] a stale note throws [NoteConflictException] carrying the note as it is. */
    fun update(node: String, place: Place, content: String? = null, name: String? = null, ifVersion: String? = null): String {
        val b = op("update_note", place).text("node", node).opt("content", content).opt("name", name).opt("if_version_id", ifVersion)
        try {
            return client.call(b.json())
        } catch (e: FastioException.Api) {
            // The core decides what a version conflict is and where its state is.
            val current = versionConflict(e.detailJson) ?: throw e
            throw NoteConflictException(current, e)
        }
    }
}

/** Whose members: a workspace, a share or an org. */
sealed class Entity(val tag: String, val id: String) {
    class Workspace(id: String) : Entity("workspace", id)
    class Share(id: String) : Entity("share", id)
    class Org(id: String) : Entity("org", id)
}

class Members internal constructor(private val client: FastioClient) {
    private fun op(op: String, e: Entity) = CallBuilder("members", op).tagged("entity", e.tag, e.id)

    /** Every member as JSON text, the owner first. */
    fun list(e: Entity): List<String> = client.items(op("list", e).json()).toList()

    /** Adds a user by id, or invites an e-mail address; the answer as JSON text. */
    fun add(e: Entity, who: String, permissions: String = "member"): String =
        client.call(op("add", e).text("member", who).text("permissions", permissions).json())

    /** Invitations as JSON text, of one [state] or all. */
    fun invitations(e: Entity, state: String? = null): String =
        client.call(op("invitations", e).opt("state", state).json())

    fun revoke(e: Entity, invitation: String) {
        client.call(op("revoke_invitation", e).text("invitation_id", invitation).json())
    }
}

class Comments internal constructor(private val client: FastioClient) {
    /** A comment on a file, or a reply to [replyTo]; the answer as JSON text. */
    fun add(node: String, body: String, place: Place, replyTo: String? = null): String =
        client.call(CallBuilder("comments", "create").tagged("profile", place.tag, place.id)
            .text("node", node).text("body", body).opt("parent_id", replyTo).json())

    /** The comments on [node] as JSON text, oldest first. */
    fun list(node: String, place: Place): List<String> =
        client.items(CallBuilder("comments", "list").tagged("profile", place.tag, place.id).text("node", node).json()).toList()

    /** Deletes comments (one call for several). */
    fun delete(vararg ids: String) {
        val b = if (ids.size == 1) CallBuilder("comments", "delete").text("comment_id", ids[0])
            else CallBuilder("comments", "bulk_delete").texts("comment_ids", ids.toList())
        client.call(b.json())
    }
}
