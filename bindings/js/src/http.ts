// The core's plain-data requests and responses, to and from web-standard
// fetch types.

import type { Header, HttpRequest, HttpResponse } from '../component/interfaces/fastio-core-types.js';
import { TransportError, UsageError } from './errors.js';
import { isNode } from './runtime.js';

/** A request as the core built it, with its body in one buffer. */
export interface PlainRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  /** In the core's order and spelling. May hold a bearer token: never log it. */
  headers: Array<[string, string]>;
  /** `null` for no body. */
  body: Uint8Array | null;
}

/**
 * The pieces of a core request's body, in order. `external` fills the parts
 * the caller holds itself (in order of appearance); the upload and download
 * machines never use them. `source` segments are the upload driver's to fill
 * (`hostKeepsChunks`) before a request gets here.
 */
function bodyParts(req: HttpRequest, external: readonly Uint8Array[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const seg of req.body) {
    if (seg.tag === 'bytes') {
      parts.push(seg.val);
      continue;
    }
    if (seg.tag === 'source') {
      throw new UsageError('missing-external', `the request needs ${seg.val.len} source bytes at ${seg.val.offset}`);
    }
    const data = external[seg.val.index];
    if (data === undefined) {
      throw new UsageError('missing-external', `the request needs external body part ${seg.val.index}`);
    }
    if (BigInt(data.byteLength) !== seg.val.len) {
      throw new UsageError(
        'bad-external',
        `external body part ${seg.val.index} must be ${seg.val.len} bytes, got ${data.byteLength}`,
      );
    }
    parts.push(data);
  }
  return parts;
}

/** Flattens a core request, its body in one buffer. */
export function plainRequest(req: HttpRequest, external: readonly Uint8Array[] = []): PlainRequest {
  return {
    method: req.method.toUpperCase() as PlainRequest['method'],
    url: req.url,
    headers: req.headers.map((h) => [h.name, h.value]),
    body: req.body.length > 0 ? concat(bodyParts(req, external)) : null,
  };
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A `Request` for `fetch` from a plain request. Redirects are never followed
 * here: the core follows a token read's 3xx itself, without credentials, and
 * fails every other request closed on one (docs/contract.md).
 */
export function toFetchRequest(r: PlainRequest, signal?: AbortSignal): Request {
  const body = r.method === 'GET' || r.method === 'HEAD' ? null : r.body;
  return new Request(r.url, { method: r.method, headers: r.headers, body: body as BodyInit | null, signal, redirect: 'manual' });
}

/** Response headers as the core takes them. */
export function headerList(h: Headers): Header[] {
  const out: Header[] = [];
  h.forEach((value, name) => out.push({ name, value }));
  return out;
}

/** Reads at most `limit` bytes of a body; more is left unread (the core refuses oversized answers). */
export async function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
    }
  } finally {
    if (n > limit) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return concat(parts);
}

/** Responses larger than this are cut here; the core refuses anything over its own limit first. */
export const RESPONSE_READ_LIMIT = 64 * 1024 * 1024;

/**
 * Bodies at least this large go out as a stream of their parts in Node: its
 * fetch copies a buffer body whole before sending it, and joining the parts
 * would copy them once more — twice the bytes of every upload chunk.
 */
const STREAMED_BODY_MIN = 64 * 1024;

/**
 * A `Request` for a core request. In Node a large body streams its parts
 * with the exact Content-Length (never chunked), copying nothing; elsewhere
 * (browsers stream request bodies only over HTTP/2) it is one buffer.
 */
function coreFetchRequest(req: HttpRequest, signal?: AbortSignal): Request {
  const method = req.method.toUpperCase();
  const parts = bodyParts(req, []);
  let length = 0;
  for (const p of parts) length += p.byteLength;
  if (length < STREAMED_BODY_MIN || method === 'GET' || method === 'HEAD' || !isNode()) {
    return toFetchRequest(plainRequest(req), signal);
  }
  const headers = req.headers.filter((h) => h.name.toLowerCase() !== 'content-length').map((h) => [h.name, h.value]);
  headers.push(['content-length', String(length)]);
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const p = parts[next++];
      if (p === undefined) controller.close();
      else if (p.byteLength > 0) controller.enqueue(p);
    },
  });
  const init: RequestInit & { duplex: 'half' } = {
    method,
    headers: headers as [string, string][],
    body,
    signal,
    // Required by the fetch standard for a streamed request body.
    duplex: 'half',
    // As in toFetchRequest: the core decides about redirects.
    redirect: 'manual',
  };
  return new Request(req.url, init);
}

/** Sends a core request and reads the whole answer. `fetch` failures become `TransportError`. */
export async function send(
  fetchFn: typeof fetch,
  req: HttpRequest,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const request = coreFetchRequest(req, signal);
  let res: Response;
  try {
    res = await fetchFn(request);
  } catch (e) {
    throw new TransportError(describe(e), { cause: e });
  }
  let body: Uint8Array;
  try {
    body = await readBody(res.body, RESPONSE_READ_LIMIT);
  } catch (e) {
    throw new TransportError(describe(e), { cause: e });
  }
  return { status: res.status, headers: headerList(res.headers), body };
}

/** A message for a transport failure (undici hides the reason in `cause`). */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
