// A Fast.io client on URLSession: the core decides what to send, how to split
// a file, when to retry and what to verify; the driver does the network, the
// disk and the clock.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Upload progress as the core reports it (the generated `Progress`, named so
/// it does not collide with `Foundation.Progress`).
public typealias UploadProgress = FastioCore.Progress

public final class Client: Sendable {
    /// The core's client: builds every request (see `call`).
    public let core: CoreClient
    let transport: Transport

    /// The Fast.io API base URL: the core's default.
    public static let defaultBaseURL = defaults().baseUrl
    /// Chunk requests in flight at once when an upload does not say: the core's default.
    public static let defaultParallel = Int(defaults().parallel)

    /// A client authenticated with an API key (`nil`: only the calls that may
    /// be anonymous, such as a File Share recipient's). `timeout` bounds the
    /// silence on one request (URLSession's idle timeout), not a whole transfer.
    public init(
        apiKey: String?, baseURL: String = Client.defaultBaseURL,
        timeout: TimeInterval = 120, userAgent: String? = nil
    ) throws {
        core = try CoreClient(baseUrl: baseURL, apiKey: apiKey, userAgent: userAgent)
        // Room for the most parallel upload the server allows plus the odd
        // control request (session details, completion).
        transport = Transport(timeout: timeout, maxConnectionsPerHost: 8)
    }

    public var baseURL: String { core.baseUrl() }

    /// Sends a request the core built. A failure without an HTTP answer is a
    /// `FastioError.Api` of kind `transport`.
    public func send(_ request: Request) async throws -> Response {
        switch await transport.exchange(try transport.urlRequest(request)) {
        case .success(let response):
            return response
        case .failure(let f):
            throw FastioError.Api(
                kind: "transport", detail: f.message, status: nil, code: nil, errorCode: nil,
                retry: .backoff, params: [], detailJson: "{}")
        }
    }

    /// Builds, sends and decodes one call given as JSON
    /// (`{"storage": {"op": "list", ...}}`, the form of `tests/vectors/requests`);
    /// `decode` is `payload` or a model name (`node_list`, `workspace`, …).
    public func call(_ callJSON: String, decode: String = "payload") async throws -> Decoded {
        let response = try await send(try core.build(callJson: callJSON))
        return try decodeResponse(
            target: decode, response: response, resendable: try core.isResendable(callJson: callJSON),
            maxBodyBytes: nil)
    }

    /// `call`, with the decoded JSON read into `type`.
    public func call<T: Decodable>(_ callJSON: String, decode: String = "payload", as type: T.Type) async throws -> T {
        let decoded = try await call(callJSON, decode: decode)
        return try JSONDecoder().decode(T.self, from: Data(decoded.valueJson.utf8))
    }
}

extension Client {
    /// A call as JSON text, built with Foundation so every value is escaped.
    func callText(_ group: String, _ fields: [String: Any?]) throws -> String {
        let body = fields.compactMapValues { $0 }
        let data = try JSONSerialization.data(withJSONObject: [group: body], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func object(_ decoded: Decoded) throws -> [String: Any] {
        guard let v = try JSONSerialization.jsonObject(with: Data(decoded.valueJson.utf8)) as? [String: Any] else {
            throw FastioError.Usage(detail: "the answer is not a JSON object")
        }
        return v
    }
}

extension Client: CustomStringConvertible {
    // The API key is never part of the description.
    public var description: String { "Client(baseURL: \(baseURL))" }
}
