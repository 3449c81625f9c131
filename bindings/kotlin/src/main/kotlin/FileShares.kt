// File Shares (durable links to one file). Each method names one core call, put together by the
// core's CallBuilder (every value escaped by serde_json, none by hand); the core builds the
// request (the link password only in its header) and decides the one redirect a preview may
// follow, without credentials.
package dev.fastiocore.driver

import dev.fastiocore.*
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

internal fun CallBuilder.opt(key: String, v: String?): CallBuilder = if (v == null) this else text(key, v)

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

    /** Who may use a `named_people` link, as JSON text. */
    fun grants(id: String): String = client.call(op("grants").text("fileshare_id", id).json(), "fileshare_grants")

    /** Lets a user (by id) or an address `view`, `download` or `edit` the link. */
    fun grant(id: String, capability: String, user: String? = null, email: String? = null) {
        client.call(grantee(op("grant_add").text("fileshare_id", id), user, email).text("capability", capability).json())
    }

    /** Takes a grant back (the grantee goes in the query, as the service reads it). */
    fun revoke(id: String, user: String? = null, email: String? = null) {
        client.call(grantee(op("grant_remove").text("fileshare_id", id), user, email).json())
    }

    private fun grantee(b: CallBuilder, user: String?, email: String?): CallBuilder {
        require((user == null) != (email == null)) { "give exactly one of user or email" }
        return if (user != null) b.tagged("grantee", "user", user) else b.tagged("grantee", "email", email!!)
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

