// webhooks/: every delivery is accepted or refused as the vector says, and
// signing the accepted ones gives back the very headers of the vector.
import FastioCore
import Foundation
import XCTest

final class WebhookVectorTests: XCTestCase {
    static func scheme(_ s: JSON) throws -> WebhookScheme {
        switch s["name"]?.string {
        case "fastio": return .fastio
        case "fastio-timestamped": return .fastioTimestamped
        case "fastio-timestamped-hex": return .fastioTimestampedHex(timestampHeader: s["timestamp_header"]?.string ?? "")
        case "standard-webhooks": return .standardWebhooks
        case "github": return .gitHub
        case "stripe": return .stripe
        case "shopify": return .shopify
        case "custom":
            return .custom(
                signatureHeader: s["signature_header"]?.string ?? "", idHeader: s["id_header"]?.string,
                timestampHeader: s["timestamp_header"]?.string, encoding: s["encoding"]?.string ?? "",
                prefix: s["prefix"]?.string ?? "", algorithm: s["algorithm"]?.string ?? "",
                template: s["template"]?.string ?? "")
        default: throw VectorError("unknown scheme \(s)")
        }
    }

    func testEveryWebhookVector() throws {
        let cases = try Vectors.cases("webhooks")
        XCTAssertGreaterThan(cases.count, 100, "webhook vectors found")
        for (name, c) in cases {
            check(name) {
                let body = try c["body_b64"]?.string.map(Vectors.base64) ?? Data((c["body"]?.string ?? "").utf8)
                let tc = try XCTUnwrap(c["timestamp_check"])
                let timestampCheck: TimestampCheck = tc.string == "skip"
                    ? .skip : .within(maxAgeS: tc["max_age_s"]?.u64 ?? 0, maxFutureS: tc["max_future_s"]?.u64 ?? 0)
                let pairs = (c["headers"]?.array ?? []).map { ($0.array?[0].string ?? "", $0.array?[1].string ?? "") }
                let headers = pairs.map { Header(name: $0.0, value: $0.1) }
                let secrets = (c["secrets"]?.array ?? []).compactMap { $0.string }
                let expect = try XCTUnwrap(c["expect"])
                let scheme = try Self.scheme(try XCTUnwrap(c["scheme"]))
                let got: Delivery
                do {
                    let verifier = try WebhookVerifier(
                        scheme: scheme, secrets: secrets, timestampCheck: timestampCheck,
                        maxBodyBytes: c["max_body_bytes"]?.u64)
                    got = try verifier.verify(headers: headers, body: body, now: try XCTUnwrap(c["now"]?.u64))
                } catch FastioError.Webhook(let kind, let hint, let detail) {
                    let want = try XCTUnwrap(expect["error"]?.string, "\(name): refused (\(kind): \(detail))")
                    let setup: Set<String> = ["invalid_secret", "invalid_scheme"]
                    XCTAssertTrue(kind == want || (setup.contains(kind) && setup.contains(want)), "\(name): \(kind), want \(want)")
                    if let wantHint = expect["hint"] {
                        XCTAssertEqual(hint.map(JSON.string) ?? .null, wantHint, name)
                    }
                    for s in secrets where s.count >= 8 {
                        XCTAssertFalse(detail.contains(s), "\(name): the secret is in the error text")
                    }
                    return
                }
                let ok = try XCTUnwrap(expect["ok"], "\(name): accepted, expected \(expect)")
                XCTAssertEqual(got.scheme, ok["scheme"]?.string, name)
                XCTAssertEqual(got.id, ok["id"]?.string, name)
                XCTAssertEqual(got.timestamp, ok["timestamp"]?.u64, name)
                XCTAssertEqual(UInt64(got.secretIndex), ok["secret_index"]?.u64, name)
                if let sign = c["sign"], sign != .null {
                    let secret = try sign["secret"]?.string ?? XCTUnwrap(secrets[safe: sign["secret_index"]?.int ?? 0])
                    let signer = try WebhookSigner(scheme: scheme, secret: secret)
                    let signed = try signer.sign(id: sign["id"]?.string, timestamp: sign["timestamp"]?.u64, body: body)
                    let a = signed.map { [$0.name.lowercased(), $0.value] }.sorted { $0.joined(separator: "\n") < $1.joined(separator: "\n") }
                    let b = pairs.map { [$0.0.lowercased(), $0.1] }.sorted { $0.joined(separator: "\n") < $1.joined(separator: "\n") }
                    XCTAssertEqual(a, b, "\(name): signed headers")
                }
            }
        }
    }

    func testParseWebhookEvent() throws {
        let e = try parseWebhookEvent(body: Data(#"{"event":"workspace_storage_file_added","data":{"workspace_id":"4242","node_id":"f_9"}}"#.utf8))
        XCTAssertEqual(e.name, "workspace_storage_file_added")
        XCTAssertTrue(e.known)
        let unknown = try parseWebhookEvent(body: Data(#"{"event":"something_new"}"#.utf8))
        XCTAssertEqual(unknown.name, "something_new")
        XCTAssertFalse(unknown.known)
        guard case .InvalidInput? = fastioError({ _ = try parseWebhookEvent(body: Data([0xff, 0x00])) }) else {
            return XCTFail("a body that is not JSON was read as an event")
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
