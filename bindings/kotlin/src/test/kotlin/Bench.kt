// Per-call cost of a trivial export (`ffiEcho`) next to a plain Kotlin call,
// and SHA-256 through `Digest` (1 MiB direct buffers) next to the JDK's
// MessageDigest, in the same run. Run with `run_tests.sh --bench`.
package dev.fastiocore.bench

import dev.fastiocore.*
import java.lang.ref.Reference
import java.nio.ByteBuffer
import java.security.MessageDigest

@Suppress("NOTHING_TO_INLINE")
fun kotlinEcho(v: ULong): ULong = v

fun bestNsPerCall(n: Int, f: (ULong) -> ULong): Double {
    var best = Double.MAX_VALUE
    var sink = 0uL
    repeat(7) {
        val t = System.nanoTime()
        for (i in 0 until n) sink += f(i.toULong())
        best = minOf(best, (System.nanoTime() - t).toDouble() / n)
    }
    check(sink > 0uL)
    return best
}

fun main() {
    check(ffiEcho(42uL) == 42uL)
    val n = 200_000
    val ffi = bestNsPerCall(n) { ffiEcho(it) }
    val kt = bestNsPerCall(n) { kotlinEcho(it) }
    println("ffiEcho through JNA: %.0f ns/call".format(ffi))
    println("plain Kotlin call:   %.1f ns/call".format(kt))

    val block = ByteArray(1 shl 20) { (it * 31).toByte() }
    val direct = block.toDirectBuffer()
    val blocks = 512
    fun rounds(f: () -> String): Pair<Double, String> {
        var best = Double.MAX_VALUE; var out = ""
        repeat(3) { val t = System.nanoTime(); out = f(); best = minOf(best, (System.nanoTime() - t) / 1e9) }
        return best to out
    }
    val (jdk, jdkHex) = rounds {
        val md = MessageDigest.getInstance("SHA-256")
        repeat(blocks) { md.update(block) }
        md.digest().joinToString("") { "%02x".format(it) }
    }
    val (core, coreHex) = rounds {
        Digest("sha256").use { d -> repeat(blocks) { d.update(direct.duplicate()) }; d.finishHex() }
    }
    // Rust read `direct` through its address only; keep it alive until every round is done.
    Reference.reachabilityFence(direct)
    check(jdkHex == coreHex) { "digests differ" }
    val mb = blocks * (1 shl 20) / 1e6
    println("SHA-256 of $blocks MiB: JDK MessageDigest %.0f MB/s, fastio Digest %.0f MB/s, ratio %.2f".format(mb / jdk, mb / core, jdk / core))
}
