// ByteArray overloads for the calls that borrow bytes. The generated methods
// take a direct ByteBuffer (the bytes cross without a copy); these copy a
// ByteArray into one so ordinary Kotlin code can pass what it has. Callers that
// read files through a FileChannel can pass direct buffers and skip the copy.
package dev.fastiocore

import java.nio.ByteBuffer

/** The bytes in a direct buffer, as the borrowing calls require. */
fun ByteArray.toDirectBuffer(): ByteBuffer =
    ByteBuffer.allocateDirect(size).put(this).flip()

fun Digest.update(data: ByteArray) = update(data.toDirectBuffer())
fun FileDigest.update(data: ByteArray) = update(data.toDirectBuffer())
fun StreamVerifier.update(data: ByteArray) = update(data.toDirectBuffer())
fun Download.onData(id: ULong, data: ByteArray) = onData(id, data.toDirectBuffer())
fun WebhookVerifier.verify(headers: List<Header>, body: ByteArray, now: ULong): Delivery =
    verify(headers, body.toDirectBuffer(), now)
fun WebhookSigner.sign(id: String?, timestamp: ULong?, body: ByteArray): List<Header> =
    sign(id, timestamp, body.toDirectBuffer())
fun digestHex(algorithm: String, data: ByteArray): String = digestHex(algorithm, data.toDirectBuffer())
fun parseWebhookEvent(body: ByteArray): WebhookEvent = parseWebhookEvent(body.toDirectBuffer())
