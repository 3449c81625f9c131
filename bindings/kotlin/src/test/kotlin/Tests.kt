// The Kotlin suite: every conformance vector, then end-to-end against a
// devserver this harness starts. Surefire runs it through `SuiteTest`: each
// case is one dynamic test, reported under its own name.
package dev.fastiocore.tests

import dev.fastiocore.*
import dev.fastiocore.driver.*
import java.io.File
import java.net.URI
import java.nio.file.Files
import java.security.MessageDigest
import java.util.Base64
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

// ---- a small JSON reader (the JDK has none); numbers stay text so u64 survives.
class Num(val text: String) { override fun equals(other: Any?) = other is Num && other.text.toBigDecimal().compareTo(text.toBigDecimal()) == 0; override fun hashCode() = text.toBigDecimal().stripTrailingZeros().hashCode(); override fun toString() = text }
class Json(private val s: String) {
    private var i = 0
    fun parse(): Any? { val v = value(); ws(); require(i == s.length) { "trailing data at $i" }; return v }
    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
    private fun value(): Any? {
        ws()
        return when (s[i]) {
            '{' -> { i++; val m = LinkedHashMap<String, Any?>(); ws(); if (s[i] == '}') { i++; return m }
                while (true) { ws(); val k = str(); ws(); i++; m[k] = value(); ws(); if (s[i++] == '}') return m } ; @Suppress("UNREACHABLE_CODE") m }
            '[' -> { i++; val l = ArrayList<Any?>(); ws(); if (s[i] == ']') { i++; return l }
                while (true) { l.add(value()); ws(); if (s[i++] == ']') return l }; @Suppress("UNREACHABLE_CODE") l }
            '"' -> str()
            't' -> { i += 4; true }
            'f' -> { i += 5; false }
            'n' -> { i += 4; null }
            else -> { val st = i; while (i < s.length && (s[i] in "+-.eE" || s[i].isDigit())) i++; Num(s.substring(st, i)) }
        }
    }
    private fun str(): String {
        i++; val sb = StringBuilder()
        while (true) {
            val c = s[i++]
            when (c) {
                '"' -> return sb.toString()
                '\\' -> { val e = s[i++]; when (e) { 'n' -> sb.append('\n'); 't' -> sb.append('\t'); 'r' -> sb.append('\r'); 'b' -> sb.append('\b'); 'f' -> sb.append('\u000c')
                    'u' -> { sb.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 } else -> sb.append(e) } }
                else -> sb.append(c)
            }
        }
    }
}
fun parse(t: String): Any? = Json(t).parse()
fun quote(s: String): String = buildString { append('"'); for (c in s) when { c == '"' -> append("\\\""); c == '\\' -> append("\\\\"); c < ' ' -> append("\\u%04x".format(c.code)); else -> append(c) }; append('"') }
fun write(v: Any?): String = when (v) {
    null -> "null"; is String -> quote(v); is Boolean -> v.toString(); is Num -> v.text
    is Map<*, *> -> v.entries.joinToString(",", "{", "}") { quote(it.key as String) + ":" + write(it.value) }
    is List<*> -> v.joinToString(",", "[", "]") { write(it) }
    else -> error("unexpected $v")
}
@Suppress("UNCHECKED_CAST") fun Any?.obj() = this as Map<String, Any?>
@Suppress("UNCHECKED_CAST") fun Any?.arr() = this as List<Any?>
fun Any?.u64(): ULong = (this as Num).text.toULong()

/** Each case's name and what it threw (null: passed), in the order run. */
val results = ArrayList<Pair<String, Throwable?>>()
fun case(name: String, body: () -> Unit) {
    results.add(name to try { body(); null } catch (e: Throwable) { System.err.println("FAIL $name: $e"); e })
}
fun check(cond: Boolean, msg: () -> String) { if (!cond) throw AssertionError(msg()) }

val root: File = File(System.getProperty("fastio.vectors") ?: "tests/vectors")
fun cases(folder: String): List<Pair<String, Map<String, Any?>>> =
    File(root, folder).listFiles { f -> f.name.endsWith(".json") }!!.sorted().flatMap { f ->
        (parse(f.readText()).obj()["cases"] ?: emptyList<Any?>()).arr().map { "${f.name}:${it.obj()["name"]}" to it.obj() }
    }

fun requestVectors() {
    for ((name, c) in cases("requests")) case(name) {
        val cfg = LinkedHashMap<String, Any?>(mapOf("base_url" to "https://api.fast.io/current/",
            "credential" to mapOf("kind" to "api_key", "value" to "test-api-key"), "user_agent" to "fastio-core-vectors/1"))
        c["config"]?.obj()?.let { cfg.putAll(it) }
        val expect = c["expect"].obj()
        CoreClient.fromConfigJson(write(cfg)).use { client ->
            val req = try { client.build(write(c["call"])) } catch (e: FastioException.InvalidInput) {
                check(expect == mapOf("error" to e.kind)) { "refused ${e.kind}, expected $expect" }; return@case }
            val out = java.io.ByteArrayOutputStream()
            for (p in req.body) when (p) { is BodyPart.Bytes -> out.write(p.data); is BodyPart.External -> out.write(ByteArray(p.len.toInt()) { 'x'.code.toByte() }); is BodyPart.Source -> out.write(ByteArray(p.len.toInt()) { 'x'.code.toByte() }) }
            val bytes = out.toByteArray()
            check(req.contentLength == bytes.size.toULong()) { "content length" }
            val text = try { java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString() } catch (e: Exception) { null }
            val body: Any? = if (bytes.isEmpty()) null else if (text != null) mapOf("text" to text) else mapOf("b64" to Base64.getEncoder().encodeToString(bytes))
            val got = mapOf("method" to req.method, "url" to req.url, "headers" to req.headers.map { listOf(it.name, it.value) }, "body" to body)
            check(parse(write(got)) == expect) { "got ${write(got)}" }
        }
    }
}

fun retryJson(r: RetryDecision): Map<String, Any?> = when (r) {
    is RetryDecision.Never -> mapOf("kind" to "never"); is RetryDecision.Backoff -> mapOf("kind" to "backoff")
    is RetryDecision.At -> mapOf("kind" to "at", "unix_s" to Num(r.unixS.toString()))
    is RetryDecision.After -> mapOf("kind" to "after", "seconds" to Num(r.seconds.toString()))
}

fun responseVectors() {
    for ((name, c) in cases("responses")) case(name) {
        val r = c["response"].obj()
        val body = (r["body_b64"] as String?)?.let { Base64.getDecoder().decode(it) } ?: ((r["body"] as String?) ?: "").toByteArray()
        val resp = Response((r["status"] as Num).text.toInt().toUShort(), r["headers"].arr().map { Header(it.arr()[0] as String, it.arr()[1] as String) }, body)
        val expect = c["expect"].obj()
        try {
            val d = decodeResponse(c["decode"] as String, resp, (c["resendable"] as Boolean?) ?: true, (c["max_body_bytes"] as Num?)?.text?.toULong())
            val rl = d.rateLimit
            val got = mapOf("value" to parse(d.valueJson), "rate_limit" to mapOf("avail" to rl.avail?.let { Num(it.toString()) }, "max" to rl.max?.let { Num(it.toString()) }, "expires" to rl.expires?.let { Num(it.toString()) }))
            check(expect["ok"] == got) { "got ${write(got)}" }
        } catch (e: FastioException.Api) {
            val want = expect["error"]?.obj() ?: throw AssertionError("unexpected error $e")
            val got = LinkedHashMap<String, Any?>(mapOf("kind" to e.kind, "status" to e.status?.let { Num(it.toString()) }, "code" to e.code,
                "error_code" to e.errorCode, "message" to (if (want["message"] == null) null else e.detail), "retry" to retryJson(e.retry)))
            val w = LinkedHashMap(want)
            if (want.containsKey("params")) {
                got["params"] = e.params.map { mapOf("name" to it.name, "kind" to it.kind, "code" to it.code) }
                w["params"] = want["params"].arr().map { p -> mapOf("name" to p.obj()["name"], "kind" to p.obj()["kind"], "code" to p.obj()["code"]) }
            }
            check(w == got) { "got ${write(got)} want ${write(w)}" }
        }
    }
}

fun materialise(s: Map<String, Any?>): ByteArray = when (s["kind"]) {
    "ascii" -> (s["value"] as String).toByteArray()
    "hex" -> (s["value"] as String).chunked(2).map { it.toInt(16).toByte() }.toByteArray()
    "repeat" -> ByteArray(s["len"].u64().toInt()) { (s["byte"] as Num).text.toInt().toByte() }
    "pattern" -> ByteArray(s["len"].u64().toInt()) { (it % 251).toByte() }
    else -> error("kind")
}

fun uploadVectors() {
    val digests = parse(File(root, "upload/digests.json").readText()).obj()["cases"].arr()
    for (c in digests.map { it.obj() }) case("digests:${c["name"]}") {
        val data = materialise(c["input"].obj())
        for ((algo, want) in c["digests"].obj()) {
            check(digestHex(algo, data) == want) { algo }
            Digest(algo).use { d -> data.toList().chunked(7).forEach { d.update(it.toByteArray()) }; check(d.finishHex() == want) { "$algo pieces" } }
            StreamVerifier(want as String, algo).use { v -> v.update(data); check(v.finish().len == data.size.toULong()) { "verifier" } }
        }
    }
    val comb = parse(File(root, "upload/crc32c_combine.json").readText()).obj()
    for (c in comb["combine"].arr().map { it.obj() }) case("combine:${c["name"]}") {
        val got = crc32cCombine((c["crc1"] as String).toUInt(16), (c["crc2"] as String).toUInt(16), c["len2"].u64())
        check("%08x".format(got.toLong()) == c["combined"]) { "combined" }
    }
    val plans = parse(File(root, "upload/plans.json").readText()).obj()
    fun limits(m: Any?) = m.obj().let { PlanLimits(it["single_request_max"].u64(), it["chunk_size"].u64(), it["max_chunks"]?.u64(), it["max_file_size"]?.u64(), it["max_in_flight"].u64().toUInt()) }
    fun planCase(name: String, expect: Map<String, Any?>, make: () -> PlanInfo) = case(name) {
        if (expect.containsKey("error")) {
            try { make(); throw AssertionError("planned") } catch (e: FastioException.Plan) { check(e.kind == expect["error"]) { e.kind } }
        } else {
            val p = make()
            check(parse(p.json) == expect["plan"]) { p.json }
            for (ch in (expect["chunks"] ?: emptyList<Any?>()).arr()) {
                val (o, off, len) = ch.arr().map { it.u64() }
                check(planChunk(p.json, o) == ChunkInfo(o, off, len)) { "chunk $o" }
            }
        }
    }
    for (c in plans["plans"].arr().map { it.obj() }) planCase("plan:${c["name"]}", c["expect"].obj()) { planUpload(c["size"].u64(), limits(c["config"])) }
    for (c in plans["streams"].arr().map { it.obj() }) planCase("stream:${c["name"]}", c["expect"].obj()) { planStream(c["max_size"]?.u64(), limits(c["config"])) }
    for (c in plans["limits"].arr().map { it.obj() }) case("limits:${c["name"]}") {
        check(planLimitsFromServer(write(c["limits"]), limits(c["fallback"])) == limits(c["expect"])) { "limits" }
    }
}

fun scheme(s: Map<String, Any?>): WebhookScheme = when (s["name"]) {
    "fastio" -> WebhookScheme.Fastio; "fastio-timestamped" -> WebhookScheme.FastioTimestamped
    "fastio-timestamped-hex" -> WebhookScheme.FastioTimestampedHex(s["timestamp_header"] as String)
    "standard-webhooks" -> WebhookScheme.StandardWebhooks; "github" -> WebhookScheme.GitHub
    "stripe" -> WebhookScheme.Stripe; "shopify" -> WebhookScheme.Shopify
    else -> WebhookScheme.Custom(s["signature_header"] as String, s["id_header"] as String?, s["timestamp_header"] as String?,
        s["encoding"] as String, (s["prefix"] as String?) ?: "", s["algorithm"] as String, s["template"] as String)
}

fun webhookVectors() {
    for ((name, c) in cases("webhooks")) case(name) {
        val body = (c["body_b64"] as String?)?.let { Base64.getDecoder().decode(it) } ?: (c["body"] as String).toByteArray()
        val tc = c["timestamp_check"]
        val check = if (tc == "skip") TimestampCheck.Skip else TimestampCheck.Within(tc.obj()["max_age_s"].u64(), tc.obj()["max_future_s"].u64())
        val expect = c["expect"].obj()
        try {
            val d = WebhookVerifier(scheme(c["scheme"].obj()), c["secrets"].arr().map { it as String }, check, (c["max_body_bytes"] as Num?)?.text?.toULong()).use {
                it.verify(c["headers"].arr().map { h -> Header(h.arr()[0] as String, h.arr()[1] as String) }, body, c["now"].u64())
            }
            val ok = expect["ok"]?.obj() ?: throw AssertionError("accepted, expected $expect")
            check(d.scheme == ok["scheme"] && d.id == ok["id"] && d.timestamp == ok["timestamp"]?.u64() && d.secretIndex.toULong() == ok["secret_index"].u64()) { "delivery $d" }
        } catch (e: FastioException.Webhook) {
            val want = expect["error"] ?: throw AssertionError("refused ${e.kind}: ${e.message}")
            val setup = setOf("invalid_secret", "invalid_scheme")
            check(e.kind == want || (e.kind in setup && want in setup)) { "kind ${e.kind} want $want" }
            if (expect.containsKey("hint")) check(e.hint == expect["hint"]) { "hint ${e.hint}" }
        }
    }
}

// ---- driver traces (tests/vectors/drive): every action Upload hands the host, in order, and
// what each answer fed back becomes (accepted, ignored, or a FastioException for misuse).
fun fedName(call: () -> Fed): String = try {
    when (call()) { Fed.ACCEPTED -> "accepted"; Fed.IGNORED -> "ignored" }
} catch (e: FastioException) { "misuse" }

fun checkSend(at: String, want: Map<String, Any?>, base: String, req: Request) {
    check(req.method == want["method"]) { "$at: method of ${req.url}" }
    check(req.url.startsWith(base)) { "$at: ${req.url} is not under $base" }
    val rest = req.url.substring(base.length)
    check(rest.substringBefore('?') == want["path"]) { "$at: path of ${req.url}" }
    val query = if ('?' in rest) rest.substringAfter('?') else ""
    val got = query.split('&').filter { it.isNotEmpty() }.associate { if ('=' in it) it.substringBefore('=') to it.substringAfter('=') else it to "" }
    for ((k, v) in (want["query"]?.obj() ?: emptyMap())) check(got[k] == v) { "$at: query $k in ${req.url}" }
}

fun driveVectors() {
    val doc = parse(File(root, "drive/upload.json").readText()).obj()
    val base = doc["base_url"] as String
    val key = doc["api_key"] as String
    val all = doc["cases"].arr().map { it.obj() }
    val checked = LinkedHashMap<String, Int>()
    for (c in all) case("drive: ${c["name"]}") {
        val name = c["name"] as String
        check(c["machine"] == "upload" && doc["file"].obj()["kind"] == "pattern") { "$name: machine or file kind" }
        val s = c["spec"].obj()
        val o = c["options"].obj()
        val size = s["size"].u64()
        val file = ByteArray(size.toInt()) { (it % 251).toByte() }
        val limits = defaultPlanLimits()
        o["chunk_size"]?.let { limits.chunkSize = it.u64() }
        o["single_request_max"]?.let { limits.singleRequestMax = it.u64() }
        o["parallel"]?.let { limits.maxInFlight = it.u64().toUInt() }
        val opts = UploadOptions(limits = limits, requestTimeoutMs = o["request_timeout_ms"]?.u64(), seed = o["seed"]?.u64(),
            fetchLimits = o["fetch_limits"] == true, persistToken = o["persist_token"] == true,
            fileDigest = o["file_digest"] as String?, verifyStored = o["verify_stored"] == true)
        val req = UploadRequest(s["name"] as String, size, dev.fastiocore.Target.Workspace(s["workspace"] as String), s["folder"] as String, null)
        CoreClient(base, key, null).use { client -> Upload(client, req, opts).use { up ->
            var now = 0uL
            val ids = HashMap<String, ULong>()
            val reads = HashMap<String, Pair<Int, Int>>()
            var n = 0
            val steps = c["steps"].arr()
            for ((i, st) in steps.withIndex()) {
                val step = st.obj()
                val at = "$name step $i"
                when {
                    "pull" in step -> {
                        val (kind, w) = step["pull"].obj().entries.single()
                        if (kind == "failed") {
                            check(w == "integrity") { "$at: unknown failure $w" }
                            val threw = try { up.nextAction(now); false } catch (e: FastioException.Integrity) { true }
                            check(threw) { "$at: wanted a failure" }
                        } else when (val a = up.nextAction(now)) {
                            null -> check(kind == "none") { "$at: wanted $kind, got nothing" }
                            is UploadAction.Send -> {
                                check(kind == "send") { "$at: wanted $kind, got $a" }
                                checkSend(at, w.obj(), base, a.request)
                                (step["as"] as String?)?.let { ids[it] = a.id }
                            }
                            is UploadAction.Read -> {
                                check(kind == "read") { "$at: wanted $kind, got $a" }
                                check(a.offset == w.obj()["offset"].u64() && a.len == w.obj()["len"].u64()) { "$at: $a" }
                                ids[step["as"] as String] = a.id
                                reads[step["as"] as String] = a.offset.toInt() to a.len.toInt()
                            }
                            is UploadAction.Wait -> check(kind == "wait" && a.untilMs == w.u64()) { "$at: wanted $kind $w, got $a" }
                            is UploadAction.Persist -> {
                                check(kind == "persist") { "$at: wanted $kind, got $a" }
                                val token = parse(a.tokenJson).obj()
                                check(token["upload_id"] == w.obj()["upload_id"]) { "$at: upload id ${token["upload_id"]}" }
                                val acked = token["acked"].arr().map { it.obj()["order"].u64() }
                                check(acked == w.obj()["acked"].arr().map { it.u64() }) { "$at: acked $acked" }
                                // The token is one the core takes back.
                                Upload.resume(client, a.tokenJson, UploadOptions()).close()
                            }
                            is UploadAction.Progress -> check(kind == "progress" && a.progress.chunksAcked == w.obj()["chunks_acked"].u64() &&
                                a.progress.bytesAcked == w.obj()["bytes_acked"].u64()) { "$at: wanted $kind $w, got $a" }
                            is UploadAction.Done -> {
                                check(kind == "done" && a.nodeId == w.obj()["node_id"] && a.size == w.obj()["size"].u64()) { "$at: wanted $kind $w, got $a" }
                                val stored = when (a.stored) {
                                    is StoredCheck.NotAsked -> "not_asked"
                                    is StoredCheck.Matched -> "matched"
                                    is StoredCheck.Unavailable -> "unavailable"
                                }
                                check(stored == w.obj()["stored"]) { "$at: stored ${a.stored}" }
                                val digest = w.obj()["digest"]?.obj()
                                check(a.digest?.algo == digest?.get("algo") && a.digest?.hex == digest?.get("hex")) { "$at: digest ${a.digest}" }
                            }
                        }
                    }
                    "respond" in step -> {
                        val a = step["answer"].obj()
                        val resp = Response((a["status"] as Num).text.toUShort(), emptyList(), (a["body"] as String).toByteArray())
                        val got = fedName { up.onResponse(ids.getValue(step["respond"] as String), resp, now) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "data" in step -> {
                        val (off, len) = reads.getValue(step["data"] as String)
                        val got = fedName { up.onData(ids.getValue(step["data"] as String), file.copyOfRange(off, off + len), now) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "transport_error" in step -> {
                        val got = fedName { up.onTransportError(ids.getValue(step["transport_error"] as String), "connection reset", now) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "timeout" in step -> { now = step["timeout"].u64(); up.onTimeout(now) }
                    "clock" in step -> now = step["clock"].u64()
                    else -> throw AssertionError("$at: unknown step ${write(step)}")
                }
                n++
            }
            check(n == steps.size && n > 0) { "$name: $n of ${steps.size} steps" }
            checked[name] = n
        } }
    }
    case("drive: every step of every case checked") {
        val want = all.associate { it["name"] as String to it["steps"].arr().size }
        check(all.size >= 5 && checked == want) { "checked $checked, want $want" }
        println("drive vectors: ${checked.values.sum()} steps in ${checked.size} cases")
    }
}

// ---- pager traces (tests/vectors/drive/pager.json): the core's one pager, walked the way
// FastioClient.pages walks it.
fun pagerVectors() {
    val doc = parse(File(root, "drive/pager.json").readText()).obj()
    val base = doc["base_url"] as String
    val all = doc["cases"].arr().map { it.obj() }
    val checked = LinkedHashMap<String, Int>()
    for (c in all) case("pager: ${c["name"]}") {
        val name = c["name"] as String
        val call = write(c["call"])
        val max = c["max_pages"]?.u64()?.toUInt()
        CoreClient(base, doc["api_key"] as String, null).use { client ->
            c["refused"]?.let { want ->
                val kind = try { Pager(client, call, max).close(); null } catch (e: FastioException.InvalidInput) { e.kind }
                check(kind == want) { "$name: refused as $kind" }
                checked[name] = 1
                return@case
            }
            Pager(client, call, max).use { pager ->
                val steps = c["steps"].arr()
                for ((i, st) in steps.withIndex()) {
                    val step = st.obj()
                    val at = "$name step $i"
                    when {
                        "end" in step -> check(pager.nextRequest() == null && pager.isDone()) { "$at: the walk is over" }
                        "next_error" in step -> {
                            val kind = try { pager.nextRequest(); null } catch (e: FastioException.Transfer) { e.kind }
                            check(kind == step["next_error"]) { "$at: $kind" }
                        }
                        else -> {
                            val req = pager.nextRequest() ?: throw AssertionError("$at: a page is due")
                            val want = step["request"].obj()
                            checkSend(at, want, base, req)
                            val names = req.url.substringAfter('?', "").split('&').filter { it.isNotEmpty() }.map { it.substringBefore('=') }
                            for (k in want["absent"]?.arr() ?: emptyList()) check(k !in names) { "$at: $k must be absent" }
                            val a = step["answer"].obj()
                            val resp = Response((a["status"] as Num).text.toUShort(), emptyList(), (a["body"] as String).toByteArray())
                            val page = step["page"]?.obj()
                            if (page != null) {
                                val got = pager.onResponse(resp)
                                val ids = got.itemsJson.map { parse(it).obj()["id"] }
                                check(ids == page["items"].arr()) { "$at: items $ids" }
                                check(got.done == page["done"] && got.done == pager.isDone()) { "$at: done ${got.done}" }
                                check(got.degraded == (page["degraded"]?.arr() ?: emptyList<Any?>())) { "$at: degraded ${got.degraded}" }
                            } else {
                                val w = step["error"].obj()["api"].obj()
                                val e = try { pager.onResponse(resp); null } catch (e: FastioException.Api) { e }
                                check(e != null && e.status?.toULong() == w["status"].u64()) { "$at: $e" }
                                w["kind"]?.let { k -> check(e!!.kind == k) { "$at: kind ${e.kind}" } }
                            }
                        }
                    }
                }
                checked[name] = maxOf(1, steps.size)
            }
        }
    }
    case("pager: every case checked") {
        val want = all.associate { it["name"] as String to maxOf(1, it["steps"].arr().size) }
        check(all.size >= 8 && checked == want) { "checked $checked, want $want" }
    }
}

// ---- download traces (tests/vectors/drive/download.json): every action Download hands the host,
// in order, the streamed body fed piece by piece, and the verdict.
fun downloadVectors() {
    val doc = parse(File(root, "drive/download.json").readText()).obj()
    val base = doc["base_url"] as String
    val key = doc["api_key"] as String
    val spec = doc["spec"].obj()
    val all = doc["cases"].arr().map { it.obj() }
    val file = ByteArray(doc["file"].obj()["size"].u64().toInt()) { (it % 251).toByte() }
    val checked = LinkedHashMap<String, Int>()
    for (c in all) case("download: ${c["name"]}") {
        val name = c["name"] as String
        check(doc["file"].obj()["kind"] == "pattern") { "$name: file kind" }
        val req = DownloadRequest(dev.fastiocore.Target.Workspace(spec["workspace"] as String), spec["node"] as String, null, false)
        CoreClient(base, key, null).use { client -> Download(client, req, DownloadOptions(seed = doc["seed"].u64())).use { d ->
            var now = 0uL
            val ids = HashMap<String, ULong>()
            var n = 0
            val steps = c["steps"].arr()
            for ((i, st) in steps.withIndex()) {
                val step = st.obj()
                val at = "$name step $i"
                when {
                    "pull" in step -> {
                        val (kind, w) = step["pull"].obj().entries.single()
                        if (kind == "failed") {
                            val e = try { d.nextAction(now); null } catch (e: FastioException) { e }
                            when (w) {
                                "integrity" -> check(e is FastioException.Integrity) { "$at: wanted an integrity failure, got $e" }
                                else -> throw AssertionError("$at: no UniFFI error for the failure kind $w")
                            }
                        } else when (val a = d.nextAction(now)) {
                            null -> check(kind == "none") { "$at: wanted $kind, got nothing" }
                            is DownloadAction.Send -> {
                                check(kind == "send") { "$at: wanted $kind, got $a" }
                                val want = w.obj()
                                check(a.streamsBody == want["stream"]) { "$at: stream ${a.streamsBody}" }
                                val url = want["url"] as String?
                                if (url != null) {
                                    check(a.request.method == want["method"]) { "$at: method ${a.request.method}" }
                                    check(a.request.url == url) { "$at: url ${a.request.url}" }
                                } else {
                                    checkSend(at, want, base, a.request)
                                    val names = a.request.url.substringAfter('?', "").split('&').filter { it.isNotEmpty() }.map { it.substringBefore('=') }
                                    for (k in want["absent"]?.arr() ?: emptyList()) check(k !in names) { "$at: $k must be absent" }
                                }
                                want["credentials"]?.let { creds ->
                                    val has = a.request.headers.any { it.name.equals("authorization", ignoreCase = true) }
                                    check(has == creds) { "$at: credentials $has" }
                                }
                                ids[step["as"] as String] = a.id
                            }
                            is DownloadAction.Wait -> check(kind == "wait" && a.untilMs == w.u64()) { "$at: wanted $kind ${write(w)}, got $a" }
                            is DownloadAction.Progress -> check(kind == "progress" && a.bytes == w.obj()["bytes"].u64() &&
                                a.total == w.obj()["total"]?.u64()) { "$at: wanted $kind ${write(w)}, got $a" }
                            is DownloadAction.Done -> check(kind == "done" && a.size == w.obj()["size"].u64() &&
                                a.sha256 == w.obj()["sha256"]) { "$at: wanted $kind ${write(w)}, got $a" }
                        }
                    }
                    "respond" in step -> {
                        val a = step["answer"].obj()
                        val headers = (a["headers"]?.arr() ?: emptyList()).map { h -> h.arr().let { Header(it[0] as String, it[1] as String) } }
                        val resp = Response((a["status"] as Num).text.toUShort(), headers, (a["body"] as String).toByteArray())
                        val got = fedName { d.onResponse(ids.getValue(step["respond"] as String), resp, now) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "data" in step -> {
                        val r = step["range"].arr()
                        val got = fedName { d.onData(ids.getValue(step["data"] as String), file.copyOfRange(r[0].u64().toInt(), r[1].u64().toInt())) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "end" in step -> {
                        val got = fedName { d.onEnd(ids.getValue(step["end"] as String)) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "transport_error" in step -> {
                        val got = fedName { d.onTransportError(ids.getValue(step["transport_error"] as String), "connection reset", now) }
                        check(got == step["fed"]) { "$at: $got" }
                    }
                    "timeout" in step -> { now = step["timeout"].u64(); d.onTimeout(now) }
                    "clock" in step -> now = step["clock"].u64()
                    else -> throw AssertionError("$at: unknown step ${write(step)}")
                }
                n++
            }
            check(n == steps.size && n > 0) { "$name: $n of ${steps.size} steps" }
            checked[name] = n
        } }
    }
    case("download: every step of every case checked") {
        val want = all.associate { it["name"] as String to it["steps"].arr().size }
        check(all.size >= 4 && checked == want && checked.values.sum() >= 40) { "checked $checked, want $want" }
        println("download vectors: ${checked.values.sum()} steps in ${checked.size} cases")
    }
}

// The first workspace, or a new one in the first organisation (a fresh devserver has none).
fun workspace(client: FastioClient): String {
    client.items("""{"orgs":{"op":"all_workspaces"}}""").firstOrNull()?.let { return parse(it).obj()["id"].toString() }
    val org = parse(client.items("""{"orgs":{"op":"list"}}""").first()).obj()["id"].toString()
    val ws = client.call("""{"orgs":{"op":"create_workspace","org_id":${quote(org)},"name":"e2e","folder_name":"e2e"}}""", "workspace")
    return parse(ws).obj()["id"].toString()
}

// The ByteArray overloads pass Rust the address of a temporary direct buffer. Once the JIT has
// compiled them, a collection during the call frees that buffer unless it is kept reachable —
// without the fence this stress case can crash the JVM inside the hash or see a wrong digest.
fun borrowedBytesSurviveCollection() = case("ffi: borrowed bytes stay alive while Rust reads them") {
    val small = ByteArray(64) { it.toByte() }
    repeat(50_000) { digestHex("crc32c", small); Digest("md5").use { d -> d.update(small) } }
    val big = ByteArray(32 shl 20) { (it % 251).toByte() }
    val want = MessageDigest.getInstance("SHA-256").digest(big).joinToString("") { "%02x".format(it) }
    val stop = java.util.concurrent.atomic.AtomicBoolean(false)
    val collector = Thread { while (!stop.get()) { ByteArray(1 shl 20); System.gc() } }.apply { isDaemon = true; start() }
    try {
        repeat(12) { i ->
            check(digestHex("sha256", big) == want) { "digestHex round $i" }
            Digest("sha256").use { d -> d.update(big); check(d.finishHex() == want) { "Digest.update round $i" } }
        }
    } finally {
        stop.set(true)
        collector.join(10_000)
    }
}

/** Sets the devserver's fault schedule (`{}` clears it). */
fun faults(base: String, config: String) {
    val origin = URI(base).resolve("/").toString().trimEnd('/')
    val req = java.net.http.HttpRequest.newBuilder(URI("$origin/_dev/faults"))
        .header("content-type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(config)).build()
    val resp = java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString())
    check(resp.statusCode() == 200) { "faults: ${resp.statusCode()} ${resp.body()}" }
}

fun endToEnd(binary: String) {
    val data = Files.createTempDirectory("fastio-kt")
    val proc = ProcessBuilder(binary, "--addr", "127.0.0.1:0", "--data", data.toString(), "--api-key", "kt-key", "--min-chunk-size", "65536")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start()
    try {
        val out = proc.inputStream.bufferedReader()
        val base = out.readLine(); val key = out.readLine()
        FastioClient(key, base).use { client ->
            val ws = workspace(client)
            val src = Files.createTempFile(data, "big", ".bin")
            Files.write(src, ByteArray(900_001) { (it % 251).toByte() })
            val sha = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(src)).joinToString("") { "%02x".format(it) }
            val opts = { UploadOptions(limits = defaultPlanLimits().also { it.singleRequestMax = 100_000u; it.chunkSize = 131_072u }, pollWaitS = 5u) }
            case("e2e: parallel chunked upload and verified download") {
                var last: Progress? = null
                val r = client.upload(src, ws, parallel = 3, options = opts()) { last = it }
                check(r.size == 900_001L && r.nodeId != null) { "$r" }
                check(last?.chunksTotal == 7uL) { "progress $last" }
                val dst = data.resolve("back.bin")
                val d = client.download(r.nodeId!!, dst, ws)
                check(d.sha256 == sha && d.checkedAlgo != null) { "$d" }
                check(Files.readAllBytes(dst).contentEquals(Files.readAllBytes(src))) { "bytes" }
            }
            case("e2e: resume from a token file") {
                val token = data.resolve("up.token")
                try { client.upload(src, ws, parallel = 1, options = opts(), tokenFile = token) { if (it.chunksAcked >= 2uL) throw IllegalStateException("stop") } ; throw AssertionError("not interrupted") }
                catch (e: IllegalStateException) { check(e.message == "stop") { "$e" } }
                check(Files.exists(token)) { "token kept" }
                val r = client.resume(token, src, parallel = 2, options = opts())
                check(!Files.exists(token) && r.size == 900_001L) { "$r" }
                check(client.download(r.nodeId!!, data.resolve("resumed.bin"), ws).sha256 == sha) { "resumed sha" }
            }
            case("e2e: serverLimits plans with the server's /upload/limits/ answer") {
                val given = opts().limits!!.also { it.maxInFlight = 2u }
                val narrowed = planLimitsFromServer(client.call("{\"upload\":{\"op\":\"limits\"}}"), given)
                check(narrowed.chunkSize != given.chunkSize) { "the server states the same chunk size: $narrowed" }
                // One byte past what the server takes in one request, so the plan is chunked.
                val size = narrowed.singleRequestMax.toLong() + 1
                check(size in 2..(64L shl 20)) { "server single-request maximum $narrowed" }
                val big = Files.createTempFile(data, "limited", ".bin")
                Files.write(big, ByteArray(size.toInt()) { (it % 251).toByte() })
                val want = planUpload(size.toULong(), narrowed).chunkCount
                check(want >= 1uL) { "plan $want" }
                var last: Progress? = null
                val r = client.upload(big, ws, parallel = 2, options = opts(), serverLimits = true) { last = it }
                check(r.size == size) { "$r" }
                check(last?.chunksTotal == want) { "progress $last, want $want chunks" }
                var plain: Progress? = null
                client.upload(big, ws, parallel = 2, options = opts()) { plain = it }
                check(plain?.chunksTotal == ((size + 131_071) / 131_072).toULong()) { "without serverLimits: $plain" }
            }
            case("e2e: a token file is written when the core says Persist, removed when stored") {
                val token = data.resolve("persisted.token")
                val seen = ArrayList<Pair<ULong, String?>>()
                val r = client.upload(src, ws, parallel = 2, options = opts(), tokenFile = token) {
                    // From the session's start the token is on disk, owner-only.
                    val exists = Files.exists(token)
                    seen.add(it.chunksAcked to (if (exists) parse(Files.readString(token)).obj()["upload_id"] as String? else null))
                    if (exists) check(Files.getPosixFilePermissions(token).none { p -> p.name.startsWith("GROUP") || p.name.startsWith("OTHERS") }) { "token mode" }
                }
                check(r.size == 900_001L && r.uploadId != null) { "$r" }
                check(seen.isNotEmpty() && seen.all { it.second == r.uploadId }) { "token during the upload: $seen, session ${r.uploadId}" }
                check(!Files.exists(token)) { "the token is removed once the file is stored" }
                check(Files.list(data).use { l -> l.noneMatch { it.fileName.toString().startsWith(".persisted.") } }) { "temporary files left" }
            }
            case("e2e: a listing of one item per page is walked to its end, each item once") {
                val org = parse(client.items("""{"orgs":{"op":"list"}}""").first()).obj()["id"].toString()
                val made = (1..2).map { n ->
                    val w = client.call("""{"orgs":{"op":"create_workspace","org_id":${quote(org)},"name":"paged-$n","folder_name":"paged-$n"}}""", "workspace")
                    parse(w).obj()["id"].toString()
                }
                val pages = client.pages("""{"orgs":{"op":"all_workspaces","limit":1}}""").toList()
                val ids = pages.flatMap { p -> p.itemsJson.map { parse(it).obj()["id"].toString() } }
                check(pages.size >= 3 && pages.all { it.itemsJson.size <= 1 } && pages.last().done) { "${pages.size} pages" }
                check(ids.toSet().size == ids.size && ids.containsAll(made + ws)) { "ids $ids, made $made" }
            }
            case("e2e: missing node is an Api error with its status") {
                try { client.download("no-such-node", data.resolve("x"), ws); throw AssertionError("downloaded") }
                catch (e: FastioException.Api) { check(e.status?.toInt() == 404) { "$e" } }
                check(Files.list(data).use { l -> l.noneMatch { it.fileName.toString().startsWith(".x.") } }) { "partial removed" }
            }
            case("e2e: a 429 costs only its stated wait") {
                // The devserver's 429 says the window reopens in a second (x-ve-limit-expires
                // against its own Date); the core makes that a one-second wait, not the 300 s cap.
                faults(base, """{"path_contains":"/upload/","schedule":[{"request":1,"fault":"429"}]}""")
                val t0 = System.nanoTime()
                val r = try { client.upload(src, ws, parallel = 2, options = opts()) } finally { faults(base, "{}") }
                val secs = (System.nanoTime() - t0) / 1e9
                check(r.size == 900_001L) { "$r" }
                check(secs < 20) { "one 429 cost $secs s" }
            }
            case("e2e: files beside the target are never touched") {
                val mine = data.resolve("mine.bin.part"); Files.writeString(mine, "my notes")
                val token = data.resolve("mine.token"); val tokenTmp = data.resolve("mine.token.tmp"); Files.writeString(tokenTmp, "keep me")
                try { client.upload(src, ws, parallel = 1, options = opts(), tokenFile = token) { if (it.chunksAcked >= 2uL) throw IllegalStateException("stop") } ; throw AssertionError("not interrupted") }
                catch (e: IllegalStateException) { check(e.message == "stop") { "$e" } }
                val r = client.resume(token, src, parallel = 2, options = opts())
                client.download(r.nodeId!!, data.resolve("mine.bin"), ws)
                check(Files.readString(mine) == "my notes" && Files.readString(tokenTmp) == "keep me") { "a user's file was overwritten" }
                check(Files.list(data).use { l -> l.noneMatch { it.fileName.toString().startsWith(".mine.") } }) { "temporary files left" }
            }
            case("e2e: a password File Share serves an anonymous recipient; its preview follows one redirect without credentials") {
                val up = client.upload(src, ws, parallel = 2, options = opts())
                val link = parse(client.fileShares.create(ws, up.nodeId!!, title = "Report", password = "open sesame", expiresIn = 3600)).obj()
                val id = link["id"].toString()
                FastioClient(null, base).use { anon ->
                    try { anon.fileShares.details(id); throw AssertionError("answered without the password") }
                    catch (e: FastioException.Api) { check(e.status?.toInt() == 403) { "$e" } }
                    val details = parse(anon.fileShares.details(id, password = "open sesame")).obj()
                    check(details["effective_capability"] == "download") { "$details" }
                    val got = data.resolve("shared.bin")
                    check(anon.fileShares.download(id, got, password = "open sesame") == 900_001L) { "size" }
                    check(Files.readAllBytes(got).contentEquals(Files.readAllBytes(src))) { "bytes" }
                    val thumb = data.resolve("thumb.bin")
                    anon.fileShares.preview(id, "thumbnail", thumb, password = "open sesame")
                    check(Files.readAllBytes(thumb).contentEquals(Files.readAllBytes(src))) { "preview bytes" }
                    val wrong = data.resolve("wrong.bin")
                    try { anon.fileShares.download(id, wrong, password = "guess"); throw AssertionError("a wrong password downloaded") }
                    catch (e: FastioException.Api) { check(e.status?.toInt() == 403) { "$e" } }
                    check(!Files.exists(wrong)) { "a refused download left a file" }
                }
                client.fileShares.grant(id, "view", email = "pat+kt@example.com")
                check(client.fileShares.grants(id).contains("pat+kt@example.com")) { "granted" }
                client.fileShares.revoke(id, email = "pat+kt@example.com")
                check(!client.fileShares.grants(id).contains("pat+kt@example.com")) { "revoked" }
            }
            case("e2e: a unified search walks its buckets; a note update that lost its race carries the note") {
                val found = client.search("big", Place.Workspace(ws), pageSize = 1)
                check(found.hitsJson.any { parse(it).obj()["bucket"] == "files" }) { "$found" }
                check(found.degraded.isEmpty()) { "$found" }
                val note = parse(client.notes.create("Kt-${System.nanoTime()}.md", "# one", Place.Workspace(ws))).obj()["node"].obj()
                val nid = note["id"].toString()
                val first = parse(client.notes.read(nid, Place.Workspace(ws))).obj()["note"].obj()["version"].toString()
                client.notes.update(nid, Place.Workspace(ws), content = "# two", ifVersion = first)
                try { client.notes.update(nid, Place.Workspace(ws), content = "# stale", ifVersion = first); throw AssertionError("a stale update went through") }
                catch (e: NoteConflictException) { check(parse(e.currentJson).obj()["content"] == "# two") { e.currentJson } }
            }
            case("e2e: comments reply and go with their replies; an invitation is sent and revoked") {
                val up = client.upload(src, ws, parallel = 2, options = opts())
                val first = parse(client.comments.add(up.nodeId!!, "Check page 2", Place.Workspace(ws))).obj()["comment"].obj()
                val fid = first["id"].toString()
                val reply = parse(client.comments.add(up.nodeId!!, "Done", Place.Workspace(ws), replyTo = fid)).obj()["comment"].obj()
                check(reply["parent_id"] == fid) { "$reply" }
                check(client.comments.list(up.nodeId!!, Place.Workspace(ws)).size >= 2) { "listed" }
                client.comments.delete(fid)
                check(client.comments.list(up.nodeId!!, Place.Workspace(ws)).none { parse(it).obj()["id"] == fid || parse(it).obj()["parent_id"] == fid }) { "a deleted comment took its replies" }
                check(parse(client.members.list(Entity.Workspace(ws)).first()).obj()["permissions"] == "owner") { "owner first" }
                val inv = parse(client.members.add(Entity.Workspace(ws), "kim+kt@example.com", "guest")).obj()["invitation"].obj()
                client.members.revoke(Entity.Workspace(ws), inv["id"].toString())
                check(!client.members.invitations(Entity.Workspace(ws), "pending").contains("kim+kt@example.com")) { "revoked" }
            }
            case("webhook: signed delivery verifies, tampered one is refused") {
                val body = """{"event":"workspace_storage_file_added"}""".toByteArray()
                val headers = WebhookSigner(WebhookScheme.Fastio, "s3cret").use { s -> s.sign(null, null, body) }.associate { it.name to it.value }
                check(verifyWebhook(headers, body, "s3cret").scheme == "fastio") { "verify" }
                try { verifyWebhook(headers, body + ' '.code.toByte(), "s3cret"); throw AssertionError("accepted") }
                catch (e: FastioException.Webhook) { check(e.kind == "no_matching_signature" && !e.toString().contains("s3cret")) { e.kind } }
            }
        }
    } finally {
        proc.destroyForcibly(); proc.waitFor(30, TimeUnit.SECONDS)
        data.toFile().deleteRecursively()
    }
}

/** The devserver binary: `-Dfastio.devserver`, else the one native.sh built (its path in the build directory). */
fun devserverBinary(): String {
    System.getProperty("fastio.devserver")?.takeIf { it.isNotBlank() }?.let { return it }
    System.getenv("FASTIO_DEVSERVER")?.takeIf { it.isNotBlank() }?.let { return it }
    val written = File(System.getProperty("fastio.build.dir") ?: "target", "fastio-devserver.path")
    check(written.isFile) { "no devserver: pass -Dfastio.devserver=PATH (native.sh writes $written)" }
    return written.readText().trim()
}

class SuiteTest {
    // The cases run in order (end to end shares one devserver and workspace),
    // then each is reported as its own test with what it threw.
    @TestFactory
    fun suite(): List<DynamicTest> {
        results.clear()
        requestVectors(); responseVectors(); uploadVectors(); driveVectors(); pagerVectors(); downloadVectors(); webhookVectors(); borrowedBytesSurviveCollection()
        endToEnd(devserverBinary())
        check(results.size > 700) { "only ${results.size} cases ran" }
        return results.map { (name, err) -> DynamicTest.dynamicTest(name) { if (err != null) throw err } }
    }
}
