// The HTTP side of the driver: the core's plain-data requests sent with
// URLSession (FoundationNetworking on Linux). Nothing here decides anything;
// statuses, retries and errors are the core's business.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request that got no HTTP response. The message names the failure and
/// never the URL, which may carry a download token in its query.
struct TransportFailure: Error, Sendable {
    let message: String
}

/// One piece of a streamed response.
enum BodyEvent: Sendable {
    case head(status: UInt16, headers: [Header])
    case data(Data)
}

struct Transport: Sendable {
    private let session: URLSession
    private let configuration: URLSessionConfiguration
    let timeout: TimeInterval

    // URLSession sets these itself and refuses or duplicates them when given.
    private static let managed: Set<String> = ["content-length", "host", "connection", "expect", "upgrade"]

    init(timeout: TimeInterval, maxConnectionsPerHost: Int) {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = timeout
        c.httpMaximumConnectionsPerHost = max(maxConnectionsPerHost, 1)
        c.requestCachePolicy = .reloadIgnoringLocalCacheData
        c.urlCache = nil
        c.httpShouldSetCookies = false
        self.configuration = c
        // Redirects are the core's decision: a token read's 3xx comes back to
        // the download machine, which follows it without credentials; every
        // other request fails closed on one (docs/contract.md).
        self.session = URLSession(configuration: c, delegate: NoRedirects(), delegateQueue: nil)
        self.timeout = timeout
    }

    /// The core's request as a URLRequest; the body must be inline bytes.
    func urlRequest(_ r: Request) throws -> URLRequest {
        guard let url = URL(string: r.url) else {
            throw FastioError.InvalidInput(kind: "invalid_argument", detail: "the request URL cannot be parsed")
        }
        if r.streamed {
            throw FastioError.Usage(detail: "a streamed request body needs a source this driver does not have")
        }
        var req = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        req.httpMethod = r.method
        for h in r.headers where !Self.managed.contains(h.name.lowercased()) {
            req.addValue(h.value, forHTTPHeaderField: h.name)
        }
        var body = Data()
        body.reserveCapacity(Int(clamping: r.contentLength))
        for part in r.body {
            switch part {
            case .bytes(let data):
                body.append(data)
            case .external, .source:
                // The upload and download machines inline their bytes unless
                // asked not to (`hostKeepsChunks`), which this driver does not.
                throw FastioError.Usage(detail: "the request body needs bytes this driver does not hold")
            }
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(r.method) {
            req.httpBody = body
        }
        return req
    }

    /// Sends and reads the whole response; a failure without a response is
    /// returned, not thrown, so the caller hands it to the core.
    func exchange(_ req: URLRequest) async -> Result<Response, TransportFailure> {
        do {
            let (data, resp) = try await session.data(for: req)
            guard let http = resp as? HTTPURLResponse else {
                return .failure(TransportFailure(message: "the answer is not HTTP"))
            }
            return .success(Response(status: Self.status(http), headers: Self.headers(http), body: data))
        } catch {
            return .failure(TransportFailure(message: Self.describe(error)))
        }
    }

    /// Sends and yields the head, then the body as it arrives. Ending the
    /// iteration early cancels the request.
    func stream(_ req: URLRequest) -> AsyncThrowingStream<BodyEvent, Error> {
        let configuration = self.configuration
        return AsyncThrowingStream { continuation in
            let delegate = StreamingDelegate(sink: continuation)
            // A delegate is per session on Linux, so each stream has its own;
            // invalidating it on termination also releases the delegate.
            let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
            let task = session.dataTask(with: req)
            continuation.onTermination = { _ in
                task.cancel()
                session.invalidateAndCancel()
            }
            task.resume()
        }
    }

    static func status(_ r: HTTPURLResponse) -> UInt16 {
        UInt16(clamping: r.statusCode)
    }

    static func headers(_ r: HTTPURLResponse) -> [Header] {
        r.allHeaderFields.map { Header(name: "\($0.key)", value: "\($0.value)") }
    }

    static func describe(_ error: Error) -> String {
        guard let e = error as? URLError else {
            return "transport failure (\(type(of: error)))"
        }
        let name: String
        switch e.code {
        case .timedOut: name = "timed out"
        case .cannotConnectToHost: name = "cannot connect to host"
        case .cannotFindHost: name = "cannot find host"
        case .networkConnectionLost: name = "connection lost"
        case .notConnectedToInternet: name = "not connected"
        case .cancelled: name = "cancelled"
        case .badServerResponse: name = "bad server response"
        case .secureConnectionFailed: name = "TLS failure"
        default: name = "URL error"
        }
        return "\(name) (URLError \(e.code.rawValue))"
    }
}

/// Hands every 3xx back as the answer instead of following it.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Called on the session's serial delegate queue only.
    private let sink: AsyncThrowingStream<BodyEvent, Error>.Continuation

    init(sink: AsyncThrowingStream<BodyEvent, Error>.Continuation) {
        self.sink = sink
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            sink.yield(.head(status: Transport.status(http), headers: Transport.headers(http)))
            completionHandler(.allow)
        } else {
            sink.finish(throwing: TransportFailure(message: "the answer is not HTTP"))
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        sink.yield(.data(data))
    }

    // As NoRedirects: a 3xx is the answer, for the core to decide about.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error {
            sink.finish(throwing: TransportFailure(message: Transport.describe(error)))
        } else {
            sink.finish()
        }
    }
}
