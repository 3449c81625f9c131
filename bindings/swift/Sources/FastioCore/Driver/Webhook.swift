// Verifying a webhook delivery in one call. For a busy receiver, build one
// `WebhookVerifier` and keep it: it is immutable and thread-safe.
import Foundation

/// Verifies a delivery: the headers and the raw body exactly as received.
/// Throws `FastioError.Webhook` with a stable `kind` when it is refused.
public func verifyWebhook(
    headers: [String: String], body: Data, secrets: [String],
    scheme: WebhookScheme = .fastio, toleranceSeconds: UInt64 = 300, now: Date = Date()
) throws -> Delivery {
    let verifier = try WebhookVerifier(
        scheme: scheme, secrets: secrets,
        timestampCheck: .within(maxAgeS: toleranceSeconds, maxFutureS: toleranceSeconds),
        maxBodyBytes: nil)
    let unix = UInt64(max(0, now.timeIntervalSince1970))
    return try verifier.verify(headers: headers.map { Header(name: $0.key, value: $0.value) }, body: body, now: unix)
}

/// The same, with one secret.
public func verifyWebhook(
    headers: [String: String], body: Data, secret: String,
    scheme: WebhookScheme = .fastio, toleranceSeconds: UInt64 = 300, now: Date = Date()
) throws -> Delivery {
    try verifyWebhook(
        headers: headers, body: body, secrets: [secret], scheme: scheme, toleranceSeconds: toleranceSeconds, now: now)
}
