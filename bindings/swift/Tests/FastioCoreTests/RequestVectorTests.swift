// requests/: every call builds exactly the request the vector holds.
import FastioCore
import Foundation
import XCTest

final class RequestVectorTests: XCTestCase {
    static let baseConfig: [(String, JSON)] = [
        ("base_url", .string("https://api.fast.io/current/")),
        ("credential", .object([("kind", .string("api_key")), ("value", .string("test-api-key"))])),
        ("user_agent", .string("fastio-core-vectors/1")),
    ]

    func testEveryRequestVector() throws {
        let cases = try Vectors.cases("requests")
        XCTAssertGreaterThan(cases.count, 100, "request vectors found")
        for (name, c) in cases {
            check(name) {
                var cfg = Self.baseConfig
                for (k, v) in c["config"]?.object ?? [] {
                    cfg.removeAll { $0.0 == k }
                    cfg.append((k, v))
                }
                let client = try CoreClient.fromConfigJson(configJson: JSON.object(cfg).write())
                let expect = try XCTUnwrap(c["expect"], name)
                let req: Request
                do {
                    req = try client.build(callJson: try XCTUnwrap(c["call"]).write())
                } catch FastioError.InvalidInput(let kind, _) {
                    XCTAssertEqual(expect, .object([("error", .string(kind))]), name)
                    return
                }
                XCTAssertNil(expect["error"], "\(name): expected a refusal, got a request")
                var body = Data()
                for part in req.body {
                    switch part {
                    case .bytes(let d): body.append(d)
                    case .external(_, let len), .source(_, let len):
                        body.append(Data(repeating: UInt8(ascii: "x"), count: Int(len)))
                    }
                }
                XCTAssertEqual(req.contentLength, UInt64(body.count), "\(name): content length")
                let gotBody: JSON
                if body.isEmpty {
                    gotBody = .null
                } else if let text = String(data: body, encoding: .utf8) {
                    gotBody = .object([("text", .string(text))])
                } else {
                    gotBody = .object([("b64", .string(body.base64EncodedString()))])
                }
                let got = JSON.object([
                    ("method", .string(req.method)),
                    ("url", .string(req.url)),
                    ("headers", .array(req.headers.map { .array([.string($0.name), .string($0.value)]) })),
                    ("body", gotBody),
                ])
                XCTAssertEqual(got, expect, name)
            }
        }
    }

    func testMalformedCallJSONIsATypedError() throws {
        let client = try CoreClient(baseUrl: "https://api.fast.io/current/", apiKey: "k", userAgent: nil)
        for bad in ["", "{", "[]", #"{"storage": {"op": "no_such_op"}}"#, "\u{0}"] {
            guard case .InvalidInput(let kind, _)? = fastioError({ _ = try client.build(callJson: bad) }) else {
                XCTFail("\(bad.debugDescription) was not refused as invalid input")
                continue
            }
            XCTAssertEqual(kind, "invalid_json")
        }
        XCTAssertNotNil(fastioError { _ = try CoreClient(baseUrl: "not a url", apiKey: nil, userAgent: nil) })
    }
}
