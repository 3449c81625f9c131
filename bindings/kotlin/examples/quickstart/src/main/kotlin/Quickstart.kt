// The first run after adding fastio-core: upload a file, download it back
// verified, and verify a signed webhook delivery.
//
//   FASTIO_API_KEY=... java -cp quickstart.jar:fastio-core-all.jar QuickstartKt WORKSPACE [FILE]
//
// FASTIO_API_BASE points at a server other than the real service. Without FILE
// it uploads 9 MB it generates (three chunks) and removes nothing else.
import dev.fastiocore.WebhookScheme
import dev.fastiocore.WebhookSigner
import dev.fastiocore.sign
import dev.fastiocore.driver.FastioClient
import dev.fastiocore.driver.verifyWebhook
import dev.fastiocore.UploadOptions
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import kotlin.system.exitProcess

fun main(args: Array<String>) {
    if (args.isEmpty()) {
        System.err.println("usage: QuickstartKt WORKSPACE [FILE]  (FASTIO_API_KEY, and FASTIO_API_BASE for another server)")
        exitProcess(2)
    }
    val workspace = args[0]
    val key = System.getenv("FASTIO_API_KEY") ?: run { System.err.println("set FASTIO_API_KEY"); exitProcess(2) }
    val base = System.getenv("FASTIO_API_BASE") ?: "https://api.fast.io/current/"
    val tmp = Files.createTempDirectory("fastio-quickstart")
    try {
        val source = args.getOrNull(1)?.let { Path.of(it) } ?: tmp.resolve("quickstart.bin").also {
            Files.write(it, ByteArray(9_000_000).also { b -> SecureRandom().nextBytes(b) })
        }
        FastioClient(key, base).use { client ->
            val up = client.upload(source, workspace, options = UploadOptions(verifyStored = true))
            println("uploaded ${up.size} bytes as node ${up.nodeId}, crc32c ${up.crc32c}, stored check: ${up.stored::class.simpleName}")
            val copy = tmp.resolve("copy.bin")
            val down = client.download(up.nodeId ?: error("the server named no node"), copy, workspace)
            check(Files.mismatch(source, copy) == -1L) { "the downloaded copy differs" }
            println("downloaded ${down.size} bytes, verified against the server's ${down.checkedAlgo}")
        }
    } finally {
        tmp.toFile().deleteRecursively()
    }

    // A delivery as Fast.io signs it, verified the way a receiver does.
    val secret = "quickstart-secret"
    val body = """{"event":"workspace_storage_file_added"}""".toByteArray()
    val headers = WebhookSigner(WebhookScheme.Fastio, secret).use { it.sign(null, System.currentTimeMillis().toULong() / 1000u, body) }
    val delivery = verifyWebhook(headers.associate { it.name to it.value }, body, secret)
    println("webhook verified (${delivery.scheme})")
}
