// Paged listings: the core's pager says which request reads the next page,
// where a page's items are and when the listing ends; the driver sends each
// request and hands the answer back.
import Foundation

/// The pages of one listing, read as they are iterated. Each iteration is a
/// walk of its own from the first page.
public struct Pages: AsyncSequence, Sendable {
    public typealias Element = Page

    let client: Client
    let callJSON: String
    let maxPages: UInt32?

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, callJSON: callJSON, maxPages: maxPages)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let client: Client
        let callJSON: String
        let maxPages: UInt32?
        var pager: Pager?
        var over = false

        /// The next page; `nil` after the last one. A failure (a refused
        /// call, an error answer, the page bound) is thrown and ends the walk.
        public mutating func next() async throws -> Page? {
            if over { return nil }
            do {
                try Task.checkCancellation()
                let pager = try self.pager ?? Pager(client: client.core, callJson: callJSON, maxPages: maxPages)
                self.pager = pager
                guard let request = try pager.nextRequest() else {
                    over = true
                    return nil
                }
                return try pager.onResponse(response: try await client.send(request))
            } catch {
                over = true
                throw error
            }
        }
    }
}

extension Client {
    /// The pages of a listing given as JSON (`{"storage": {"op": "list", ...}}`,
    /// `{"orgs": {"op": "all_workspaces"}}`, …), one request per page:
    ///
    ///     for try await page in client.pages(call) { … page.itemsJson … }
    ///
    /// A call that is no listing throws `FastioError.InvalidInput` (kind
    /// `not_pageable`); an error answer throws `FastioError.Api`. `maxPages`
    /// bounds the walk (the core's default otherwise): a listing that goes on
    /// past it throws `FastioError.Transfer` with kind `page_limit`.
    public func pages(_ callJSON: String, maxPages: UInt32? = nil) -> Pages {
        Pages(client: self, callJSON: callJSON, maxPages: maxPages)
    }

    /// Every item of a listing, page after page, each as a JSON object.
    public func items(_ callJSON: String, maxPages: UInt32? = nil) async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        for try await page in pages(callJSON, maxPages: maxPages) {
            for text in page.itemsJson {
                guard let item = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw DecodingError.typeMismatch(
                        [String: Any].self,
                        DecodingError.Context(
                            codingPath: [], debugDescription: "an item of this listing is not a JSON object"))
                }
                out.append(item)
            }
        }
        return out
    }

    /// Every item of a listing, read into `type`.
    public func items<T: Decodable>(_ callJSON: String, maxPages: UInt32? = nil, as type: T.Type) async throws -> [T] {
        let decoder = JSONDecoder()
        var out: [T] = []
        for try await page in pages(callJSON, maxPages: maxPages) {
            for text in page.itemsJson {
                out.append(try decoder.decode(T.self, from: Data(text.utf8)))
            }
        }
        return out
    }
}
