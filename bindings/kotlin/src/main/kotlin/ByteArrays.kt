// ByteArray overloads for the calls that borrow bytes. The generated methods
// take a direct ByteBuffer (the bytes cross without a copy); these copy a
// ByteArray into one so ordinary Kotlin code can pass what it has. Callers that
// read files through a FileChannel can pass direct buffers and skip the copy.
package dev.fastiocore

import java.lang.ref.Reference
import java.nio.ByteBuffer

/** The bytes in a direct buffer, as the borrowing calls require. */
fun ByteArray.toDirectBuffer(): ByteBuffer =
    ByteBuffer.allocateDirect(size).put(this).flip()

/**
 * Runs [call] with a direct copy of these bytes that stays reachable until the call returns.
 *
 * The generated methods hand Rust the buffer's address and then hold no reference to the
 * buffer, so once the JIT has compiled them a temporary buffer can be collected — and its
 * memory freed — while Rust is still reading it (a crash, or a digest of freed memory).
 * Code that passes its own direct buffers must likewise keep them referenced across the call;
 * this is the safe way to pass a temporary one.
 */
inline fun <R> ByteArray.withDirectBuffer(call: (ByteBuffer) -> R): R {
    val buffer = toDirectBuffer()
    try {
        return call(buffer)
    } finally {
        Reference.reachabilityFence(buffer)
    }
}

fun Digest.update(data: ByteArray) = data.withDirectBuffer { update(it) }
fun FileDigest.update(data: ByteArray) = data.withDirectBuffer { update(it) }
fun StreamVerifier.update(data: ByteArray) = data.withDirectBuffer { update(it) }
fun Download.onData(id: ULong, data: ByteArray) = data.withDirectBuffer { onData(id, it) }
fun Upload.onData(id: ULong, data: ByteArray, nowMs: ULong) = data.withDirectBuffer { onData(id, it, nowMs) }
fun WebhookVerifier.verify(headers: List<Header>, body: ByteArray, now: ULong): Delivery =
    body.withDirectBuffer { verify(headers, it, now) }
fun WebhookSigner.sign(id: String?, timestamp: ULong?, body: ByteArray): List<Header> =
    body.withDirectBuffer { sign(id, timestamp, it) }
fun digestHex(algorithm: String, data: ByteArray): String = data.withDirectBuffer { digestHex(algorithm, it) }
fun parseWebhookEvent(body: ByteArray): WebhookEvent = body.withDirectBuffer { parseWebhookEvent(it) }
