// A driver for the core on java.net.http.HttpClient: the core decides what to
// send, how to split, what to verify and when to save a resume token; this file
// does the network, disk and clock.
package dev.fastiocore.driver

import dev.fastiocore.*
import java.io.RandomAccessFile
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.StandardCopyOption
import java.nio.file.StandardOpenOption
import java.nio.file.attribute.PosixFilePermissions
import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** The core's defaults (base URL, chunks in flight, …). */
private val CORE_DEFAULTS: Defaults = defaults()

/**
 * A stored upload: its CRC32C (what the server checks); the whole-file [digest] asked for with
 * `UploadOptions.fileDigest` (or `verifyStored`), null when none was computed over every byte;
 * and what the check against the stored node found.
 */
data class UploadResult(
    val nodeId: String?, val uploadId: String?, val size: Long,
    val crc32c: String = "", val digest: UploadDigest? = null, val stored: StoredCheck = StoredCheck.NotAsked,
)
data class DownloadResult(val nodeId: String, val size: Long, val sha256: String, val checkedAlgo: String?)

private fun nowMs(): ULong = (System.nanoTime() / 1_000_000).toULong()

/**
 * A new file beside [target] (`.NAME.<random><suffix>`), created exclusively so it is never a
 * file the user has, nor a link planted at the name; [mode] less the umask where files have
 * POSIX modes.
 */
internal fun createBeside(target: Path, suffix: String, mode: String): Path {
    val dir = target.toAbsolutePath().parent
    val prefix = "." + target.fileName.toString() + "."
    return try {
        Files.createTempFile(dir, prefix, suffix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)))
    } catch (e: UnsupportedOperationException) {
        Files.createTempFile(dir, prefix, suffix)
    }
}

/**
 * Replaces [target] with [text] durably: written beside it, synced, renamed over it, and the
 * rename synced where the system allows, so a crash at any moment leaves the old or the new, whole.
 */
private fun writeAtomic(target: Path, text: String) {
    val tmp = createBeside(target, ".tmp", "rw-------")
    try {
        FileChannel.open(tmp, StandardOpenOption.WRITE).use { ch ->
            val buf = ByteBuffer.wrap(text.toByteArray(Charsets.UTF_8))
            while (buf.hasRemaining()) ch.write(buf)
            ch.force(true)
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
    } catch (e: Throwable) {
        Files.deleteIfExists(tmp)
        throw e
    }
    syncDir(target.toAbsolutePath().parent)
}

/** Syncs a directory's entries (a rename); a no-op where directories cannot be opened (Windows). */
private fun syncDir(dir: Path) {
    try {
        FileChannel.open(dir, StandardOpenOption.READ).use { it.force(true) }
    } catch (e: java.io.IOException) {
    } catch (e: UnsupportedOperationException) {
    }
}

/**
 * A copy of [options] with at most [parallel] chunks in flight (and no more than its own
 * limits allow, when it gives limits).
 */
private fun withParallel(options: UploadOptions, parallel: Int): UploadOptions {
    val given = options.limits
    val limits = given?.copy() ?: defaultPlanLimits()
    limits.maxInFlight = maxOf(1, minOf(parallel, given?.maxInFlight?.toInt() ?: parallel)).toUInt()
    return options.copy(limits = limits)
}

private val RESTRICTED = setOf("content-length", "host", "connection", "expect", "upgrade")

/**
 * A Fast.io client. Without an API key only the calls that may be anonymous work (a File Share
 * recipient's); the others are refused before anything is sent.
 */
class FastioClient(apiKey: String?, baseUrl: String = CORE_DEFAULTS.baseUrl) : AutoCloseable {
    val core = CoreClient(baseUrl, apiKey, null)
    /** File Shares: durable links to one file, with an optional password. */
    val fileShares = FileShares(this)
    /** Markdown notes, with compare-and-swap updates. */
    val notes = Notes(this)
    /** Members and invitations of workspaces, shares and orgs. */
    val members = Members(this)
    /** Comments on files. */
    val comments = Comments(this)
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build()

    private fun toJava(r: Request): HttpRequest {
        val body = java.io.ByteArrayOutputStream()
        for (p in r.body) when (p) {
            is BodyPart.Bytes -> body.write(p.data)
            is BodyPart.External -> throw IllegalStateException("request body needs host bytes this driver does not hold")
            // Only with UploadOptions.hostKeepsChunks, which this driver does not set.
            is BodyPart.Source -> throw IllegalStateException("request body needs source bytes this driver does not keep")
        }
        val b = HttpRequest.newBuilder(URI.create(r.url)).timeout(Duration.ofSeconds(120))
        for (h in r.headers) if (h.name.lowercase() !in RESTRICTED) b.header(h.name, h.value)
        val bytes = body.toByteArray()
        val pub = if (bytes.isEmpty() && r.method in setOf("GET", "DELETE", "HEAD")) HttpRequest.BodyPublishers.noBody()
            else HttpRequest.BodyPublishers.ofByteArray(bytes)
        return b.method(r.method, pub).build()
    }

    private fun headers(resp: HttpResponse<*>): List<Header> =
        resp.headers().map().flatMap { (k, vs) -> vs.map { Header(k, it) } }

    /** Sends a request and leaves its body to read as a stream. */
    internal fun open(r: Request): HttpResponse<java.io.InputStream> =
        http.send(toJava(r), HttpResponse.BodyHandlers.ofInputStream())

    internal fun headersOf(resp: HttpResponse<*>): List<Header> = headers(resp)

    fun send(r: Request): Response {
        val resp = http.send(toJava(r), HttpResponse.BodyHandlers.ofByteArray())
        return Response(resp.statusCode().toUShort(), headers(resp), resp.body())
    }

    /** Builds, sends and decodes a call given as JSON; returns the decoded JSON text. */
    fun call(callJson: String, decode: String = "payload"): String {
        val resp = send(core.build(callJson))
        return decodeResponse(decode, resp, core.isResendable(callJson), null).valueJson
    }

    /**
     * Walks a paged listing given as JSON (`{"orgs":{"op":"all_workspaces"}}`), page by page; the
     * core decides how it pages, where its items are and when it ends. A page that fails throws
     * [FastioException].
     */
    fun pages(callJson: String, maxPages: UInt? = null): Sequence<Page> = sequence {
        Pager(core, callJson, maxPages).use { pager ->
            while (true) {
                val req = pager.nextRequest() ?: break
                yield(pager.onResponse(send(req)))
            }
        }
    }

    /** Every item of a paged listing as JSON text, page after page. */
    fun items(callJson: String, maxPages: UInt? = null): Sequence<String> =
        pages(callJson, maxPages).flatMap { it.itemsJson }

    /**
     * Uploads a file; with [tokenFile] the resume token is saved there whenever the core hands
     * one out (and removed when the file is stored). With [serverLimits] the core asks the
     * server's `GET /upload/limits/` first and plans with its answer; a server that does not
     * answer leaves the options as given.
     */
    fun upload(path: Path, workspace: String, folder: String = "root", parallel: Int = CORE_DEFAULTS.parallel.toInt(),
               options: UploadOptions = UploadOptions(), tokenFile: Path? = null,
               serverLimits: Boolean = false, progress: (Progress) -> Unit = {}): UploadResult {
        val opts = withParallel(options, parallel)
        if (serverLimits) opts.fetchLimits = true
        opts.persistToken = tokenFile != null
        val req = UploadRequest(path.fileName.toString(), Files.size(path).toULong(), dev.fastiocore.Target.Workspace(workspace), folder, null)
        return Upload(core, req, opts).use { run(it, path, parallel, tokenFile, progress) }
    }

    /**
     * Continues an upload from its token file; the server is asked first which chunks it holds,
     * and only the rest are read and sent. The token file is kept up to date and removed once
     * the file is stored.
     */
    fun resume(tokenFile: Path, path: Path, parallel: Int = CORE_DEFAULTS.parallel.toInt(), options: UploadOptions = UploadOptions(),
               progress: (Progress) -> Unit = {}): UploadResult {
        val opts = withParallel(options, parallel)
        opts.persistToken = true
        return Upload.resume(core, Files.readString(tokenFile), opts).use { run(it, path, parallel, tokenFile, progress) }
    }

    private fun run(up: Upload, path: Path, parallel: Int, tokenFile: Path?, progress: (Progress) -> Unit): UploadResult {
        val answers = LinkedBlockingQueue<Triple<ULong, Response?, String?>>()
        val pool = Executors.newFixedThreadPool(parallel.coerceAtLeast(1))
        var outstanding = 0
        try {
            RandomAccessFile(path.toFile(), "r").use { src ->
                var waitUntil: ULong? = null
                while (true) {
                    val a = up.nextAction(nowMs())
                    if (a == null || a is UploadAction.Wait) {
                        if (a is UploadAction.Wait) waitUntil = a.untilMs
                        check(outstanding > 0 || waitUntil != null) { "upload stalled" }
                        val timeout = waitUntil?.let { (it.toLong() - nowMs().toLong()).coerceAtLeast(0) }
                        val got = if (timeout == null) answers.take() else answers.poll(timeout, TimeUnit.MILLISECONDS)
                        waitUntil = null
                        if (got == null) { up.onTimeout(nowMs()); continue }
                        outstanding--
                        val (id, resp, err) = got
                        // A late answer to a request the core gave up on is Fed.IGNORED: nothing to do.
                        if (resp != null) up.onResponse(id, resp, nowMs()) else up.onTransportError(id, err ?: "transport failure", nowMs())
                        continue
                    }
                    when (a) {
                        is UploadAction.Send -> {
                            outstanding++
                            pool.execute {
                                try { answers.put(Triple(a.id, send(a.request), null)) }
                                catch (e: Exception) { answers.put(Triple(a.id, null, "${e.javaClass.simpleName}: ${e.message}")) }
                            }
                        }
                        is UploadAction.Read -> {
                            val buf = ByteArray(a.len.toInt())
                            src.seek(a.offset.toLong())
                            var n = 0
                            while (n < buf.size) { val r = src.read(buf, n, buf.size - n); if (r < 0) break; n += r }
                            up.onData(a.id, if (n == buf.size) buf else buf.copyOf(n), nowMs())
                        }
                        is UploadAction.Persist -> tokenFile?.let { writeAtomic(it, a.tokenJson) }
                        is UploadAction.Progress -> progress(a.progress)
                        is UploadAction.Done -> {
                            tokenFile?.let { Files.deleteIfExists(it) }
                            return UploadResult(a.nodeId, a.uploadId, a.size.toLong(), a.crc32c, a.digest, a.stored)
                        }
                        else -> {}
                    }
                }
            }
        } finally {
            pool.shutdownNow()
        }
        @Suppress("UNREACHABLE_CODE")
        throw IllegalStateException("unreachable")
    }

    /** Downloads a node to [path], verified as it streams; the partial file is removed on failure. */
    fun download(node: String, path: Path, workspace: String): DownloadResult {
        val tmp = createBeside(path, ".part", "rw-rw-rw-")
        try {
            Download(core, DownloadRequest(dev.fastiocore.Target.Workspace(workspace), node, null, false), DownloadOptions()).use { dl ->
                Files.newOutputStream(tmp).use { out ->
                    // An action the machine gave while the body flowed, still to act on.
                    var held: DownloadAction? = null
                    repeat(10_000) {
                        val next = held ?: dl.nextAction(nowMs())
                        held = null
                        when (val a = next ?: throw IllegalStateException("download stalled")) {
                            is DownloadAction.Wait -> { Thread.sleep((a.untilMs.toLong() - nowMs().toLong()).coerceAtLeast(0)); dl.onTimeout(nowMs()) }
                            is DownloadAction.Progress -> {}
                            is DownloadAction.Send -> {
                                if (!a.streamsBody) {
                                    val r = try { send(a.request) } catch (e: java.io.IOException) { dl.onTransportError(a.id, e.toString(), nowMs()); null }
                                    if (r != null) dl.onResponse(a.id, r, nowMs())
                                } else {
                                    val resp = http.send(toJava(a.request), HttpResponse.BodyHandlers.ofInputStream())
                                    val fed = dl.onResponse(a.id, Response(resp.statusCode().toUShort(), headers(resp), ByteArray(0)), nowMs())
                                    resp.body().use { ins ->
                                        // The body of an ignored (late) head belongs to no request.
                                        if (fed == Fed.ACCEPTED && resp.statusCode() in 200..299) {
                                            val buf = ByteArray(1 shl 20)
                                            while (held == null) {
                                                val n = ins.read(buf)
                                                if (n < 0) { dl.onEnd(a.id); break }
                                                out.write(buf, 0, n)
                                                dl.onData(a.id, buf.copyOf(n))
                                                // Between pieces the machine reports progress and
                                                // ends a body that arrives too slowly.
                                                val b = dl.nextAction(nowMs())
                                                if (b != null && b !is DownloadAction.Progress && b !is DownloadAction.Wait) held = b
                                            }
                                        }
                                    }
                                }
                            }
                            is DownloadAction.Done -> {
                                out.close()
                                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING)
                                return DownloadResult(a.nodeId, a.size.toLong(), a.sha256, a.checkedAlgo)
                            }
                        }
                    }
                    throw IllegalStateException("download did not finish within its action budget")
                }
            }
        } catch (e: Throwable) {
            Files.deleteIfExists(tmp)
            throw e
        }
    }

    override fun close() { core.close() }
}

/** Verifies a webhook delivery (headers as received, raw body bytes). Throws [FastioException.Webhook]. */
fun verifyWebhook(headers: Map<String, String>, rawBody: ByteArray, secret: String,
                  scheme: WebhookScheme = WebhookScheme.Fastio, toleranceS: Long = 300,
                  now: Long = System.currentTimeMillis() / 1000): Delivery =
    WebhookVerifier(scheme, listOf(secret), TimestampCheck.Within(toleranceS.toULong(), toleranceS.toULong()), null).use {
        it.verify(headers.map { (k, v) -> Header(k, v) }, rawBody, now.toULong())
    }
