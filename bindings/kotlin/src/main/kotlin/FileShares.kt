// File Shares (durable links to one file), unified search and notes. Each method names one core
// call, put together by the core's CallBuilder (every value escaped by serde_json, none by hand);
// the core builds the request (the link password only in its header) and decides the one
// redirect a preview may follow, without credentials.
package dev.fastiocore.driver

import dev.fastiocore.*
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

/** Where a call applies: a workspace or a share. */
sealed class Place(val tag: String, val id: String) {
    class Workspace(id: String) : Place("workspace", id)
    class Share(id: String) : Place("share", id)
}

/** A compare-and-swap note update lost the race: [currentJson] is the note as it is now. */
class NoteConflictException(val currentJson: String, cause: FastioException) :
    Exception("the note changed since the version given", cause)

private fun CallBuilder.opt(key: String, v: String?): CallBuilder = if (v == null) this else text(key, v)

class FileShares internal constructor(private val client: FastioClient) {
    private fun op(op: String) = CallBuilder("fileshares", op)

    /** A link to the file [node]; returns the File Share as JSON text. */
    fun create(workspace: String, node: String, title: String? = null, access: String? = null,
               password: String? = null, expiresIn: Long? = null): String {
        var b = op("create").text("workspace_id", workspace).text("node_id", node)
            .opt("title", title).opt("access_option", access).opt("password", password)
        if (expiresIn != null) b = b.taggedNumber("expires", "in", expiresIn.toULong())
        return client.call(b.json(), "fileshare")
    }

    /** The link, its file and `effective_capability`, as JSON text. */
    fun details(id: String, password: String? = null): String =
        client.call(op("details").text("fileshare_id", id).opt("password", password).json())

    /** Sets a new [password], or removes it with [clearPassword]. */
    fun update(id: String, title: String? = null, password: String? = null, clearPassword: Boolean = false): String {
        require(!(clearPassword && password != null)) { "give password or clearPassword, not both" }
        var b = op("update").text("fileshare_id", id).opt("title", title)
        b = when {
            clearPassword -> b.text("password", "clear")
            password != null -> b.tagged("password", "set", password)
            else -> b
        }
        return client.call(b.json(), "fileshare")
    }

    /** Writes the file (or one [version]) to [to]; returns its size. Nothing is left there unless the whole body came. */
    fun download(id: String, to: Path, password: String? = null, version: String? = null): Long {
        val b = if (version == null) op("read").text("fileshare_id", id)
            else op("version_read").text("fileshare_id", id).text("version_id", version)
        return fetch(b.opt("password", password).json(), false, to)
    }

    /** Writes a preview (`thumbnail`, `image`, `pdf`, …) to [to]; its redirect is followed by the core with no credential. */
    fun preview(id: String, kind: String, to: Path, password: String? = null): Long =
        fetch(op("preview").text("fileshare_id", id).text("preview_type", kind).opt("password", password).json(), true, to)

    private fun fetch(callJson: String, follow: Boolean, to: Path): Long {
        var request = client.core.build(callJson)
        var resp = client.open(request)
        if (follow && resp.statusCode() in 300..399) {
            resp.body().close()
            val head = Response(resp.statusCode().toUShort(), client.headersOf(resp), ByteArray(0))
            request = client.core.followRedirect(request.url, head)
            resp = client.open(request)
        }
        if (resp.statusCode() !in 200..299) {
            val body = resp.body().use { it.readNBytes(1 shl 20) }
            // The core reads the refusal into a typed FastioException.Api and throws it.
            decodeResponse("payload", Response(resp.statusCode().toUShort(), client.headersOf(resp), body),
                client.core.isResendable(callJson), null)
            throw IllegalStateException("HTTP ${resp.statusCode()} was not an error to the core")
        }
        val tmp = createBeside(to, ".part", "rw-rw-rw-")
        try {
            val n = resp.body().use { ins -> Files.newOutputStream(tmp).use { out -> ins.transferTo(out) } }
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
            return n
        } catch (e: Throwable) {
            Files.deleteIfExists(tmp)
            throw e
        }
    }
}

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
