// responses/: every raw response decodes to the payload, model or error the
// vector holds, retry decision included.
import FastioCore
import Foundation
import XCTest

final class ResponseVectorTests: XCTestCase {
    static func retry(_ r: RetryDecision) -> JSON {
        switch r {
        case .never: return .object([("kind", .string("never"))])
        case .backoff: return .object([("kind", .string("backoff"))])
        case .at(let t): return .object([("kind", .string("at")), ("unix_s", .number(String(t)))])
        case .after(let s): return .object([("kind", .string("after")), ("seconds", .number(String(s)))])
        }
    }

    static func opt(_ v: UInt64?) -> JSON { v.map { .number(String($0)) } ?? .null }
    static func opt(_ v: String?) -> JSON { v.map { .string($0) } ?? .null }

    func testEveryResponseVector() throws {
        let cases = try Vectors.cases("responses")
        XCTAssertGreaterThan(cases.count, 50, "response vectors found")
        for (name, c) in cases {
            check(name) {
                let r = try XCTUnwrap(c["response"])
                let body = try r["body_b64"]?.string.map(Vectors.base64) ?? Data((r["body"]?.string ?? "").utf8)
                let headers = (r["headers"]?.array ?? []).map {
                    Header(name: $0.array?[0].string ?? "", value: $0.array?[1].string ?? "")
                }
                let resp = Response(status: UInt16(r["status"]?.u64 ?? 0), headers: headers, body: body)
                let expect = try XCTUnwrap(c["expect"])
                let decoded: Decoded
                do {
                    decoded = try decodeResponse(
                        target: try XCTUnwrap(c["decode"]?.string), response: resp,
                        resendable: c["resendable"]?.bool ?? true, maxBodyBytes: c["max_body_bytes"]?.u64)
                } catch FastioError.Api(let kind, let detail, let status, let code, let errorCode, let retry, let params, _) {
                    var want = try XCTUnwrap(expect["error"]?.object, "\(name): unexpected error \(detail)")
                    var got: [(String, JSON)] = [
                        ("kind", .string(kind)),
                        ("status", Self.opt(status.map(UInt64.init))),
                        ("code", Self.opt(code)),
                        ("error_code", Self.opt(errorCode)),
                        ("message", .string(detail)),
                        ("retry", Self.retry(retry)),
                    ]
                    if let wantParams = want.first(where: { $0.0 == "params" })?.1.array {
                        got.append(("params", .array(params.map {
                            .object([("name", .string($0.name)), ("kind", Self.opt($0.kind)), ("code", Self.opt($0.code))])
                        })))
                        // The core serialises every field of a param; compare the ones it carries.
                        want.removeAll { $0.0 == "params" }
                        want.append(("params", .array(wantParams.map { p in
                            .object(["name", "kind", "code"].map { ($0, p[$0] ?? .null) })
                        })))
                    }
                    if want.first(where: { $0.0 == "message" })?.1 == .null {
                        // The text comes from a JSON parser: only its presence is checked.
                        XCTAssertFalse(detail.isEmpty, name)
                        got.removeAll { $0.0 == "message" }
                        got.append(("message", .null))
                    }
                    XCTAssertEqual(JSON.object(got), JSON.object(want), name)
                    return
                }
                let ok = try XCTUnwrap(expect["ok"], "\(name): decoded, expected \(expect)")
                let rl = decoded.rateLimit
                let got = JSON.object([
                    ("value", try JSON.parse(decoded.valueJson)),
                    ("rate_limit", .object([("avail", Self.opt(rl.avail)), ("max", Self.opt(rl.max)), ("expires", Self.opt(rl.expires))])),
                ])
                XCTAssertEqual(got, ok, name)
            }
        }
    }

    func testUnknownDecodeTargetIsATypedError() {
        let resp = Response(status: 200, headers: [], body: Data(#"{"result":true}"#.utf8))
        guard case .InvalidInput(let kind, _)? = fastioError({
            _ = try decodeResponse(target: "no_such_model", response: resp, resendable: true, maxBodyBytes: nil)
        }) else {
            return XCTFail("an unknown decode target was accepted")
        }
        XCTAssertEqual(kind, "invalid_argument")
    }
}
