// Webhook verification on a standard `Request`: the raw body is read once,
// bounded, and checked by the core's verifier with the request's headers.

import type { Header } from '../component/interfaces/fastio-core-types.js';
import type {
  Delivery,
  Verifier,
  WebhookError as WitWebhookError,
} from '../component/interfaces/fastio-core-webhooks.js';
import { dispose, loadCore, type Core } from './core.js';
import { TransportError, UsageError, WebhookError, payloadOf } from './errors.js';
import { concat, describe, headerList } from './http.js';
import { toNumberOpt, toU64 } from './u64.js';

/** A signing scheme by the core's stable name. */
export type WebhookScheme =
  | 'fastio'
  | 'fastio-timestamped'
  | 'fastio-timestamped-hex'
  | 'standard-webhooks'
  | 'github'
  | 'stripe'
  | 'shopify'
  | (string & {});

export interface WebhookOptions {
  scheme: WebhookScheme;
  /** One secret, or several during a rotation (any may match). */
  secrets: string | readonly string[];
  /**
   * Allowed clock skew either way, in seconds, for schemes that sign a
   * timestamp; `false` skips the check. Required: skipping it must be written down.
   */
  tolerance: number | false;
}

export interface VerifyOptions {
  /** The current time, unix seconds; default the system clock. */
  now?: number;
}

/** A verified delivery and the raw body it was verified on. */
export interface WebhookDelivery {
  scheme: string;
  /** The delivery id, for de-duplication, when the scheme carries one. */
  id: string | undefined;
  /** The signed timestamp (unix seconds), when the scheme carries one. */
  timestamp: number | undefined;
  /** Which secret matched (index into `secrets`). */
  secretIndex: number;
  /** The exact bytes that were verified. */
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json(): unknown;
}

/**
 * The core's body limit (its `DEFAULT_MAX_BODY_BYTES`). Reading stops one
 * byte past it, so the core refuses an oversized body (`body_too_large`)
 * without the whole of it being buffered.
 */
const CORE_MAX_WEBHOOK_BODY = 1024 * 1024;

function secretList(s: unknown): string[] {
  const list = typeof s === 'string' ? [s] : Array.isArray(s) ? (s as unknown[]) : undefined;
  // An empty list is the core's to refuse (`invalid_secret`), like any unusable key.
  if (!list || !list.every((x) => typeof x === 'string')) {
    // The values themselves are never echoed.
    throw new UsageError('bad-argument', 'secrets must be a string or an array of strings');
  }
  return list as string[];
}

function checkOptions(o: WebhookOptions): { secrets: string[]; tolerance: bigint | undefined } {
  if (o === null || typeof o !== 'object') throw new UsageError('bad-argument', 'webhook options are required');
  if (typeof o.scheme !== 'string') throw new UsageError('bad-argument', 'scheme must be a string');
  if (o.tolerance === undefined) {
    throw new UsageError('bad-argument', 'tolerance is required: seconds of allowed clock skew, or false to skip the check');
  }
  const tolerance = o.tolerance === false ? undefined : toU64(o.tolerance, 'tolerance');
  return { secrets: secretList(o.secrets), tolerance };
}

function isRequest(r: unknown): r is Request {
  if (typeof Request !== 'undefined' && r instanceof Request) return true;
  // A Request from another realm (a test runner, a bundled polyfill).
  const x = r as Partial<Request> | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof x.method === 'string' &&
    typeof x.url === 'string' &&
    typeof x.headers?.forEach === 'function' &&
    typeof x.arrayBuffer === 'function' &&
    typeof x.bodyUsed === 'boolean'
  );
}

/** Reads at most `max + 1` bytes: enough for the core to refuse an oversized body without buffering it all. */
async function rawBody(request: Request, max: number): Promise<Uint8Array> {
  if (request.bodyUsed) {
    throw new UsageError('body-used', 'the request body was already read; verify before parsing it');
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n <= max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
    }
    if (n > max) await reader.cancel().catch(() => undefined);
  } catch (e) {
    throw new TransportError(`the request body could not be read: ${describe(e)}`, { cause: e });
  } finally {
    reader.releaseLock();
  }
  return concat(parts);
}

function toHeaders(h: HeadersInit | Header[]): Header[] {
  if (h instanceof Headers) return headerList(h);
  if (Array.isArray(h)) {
    return h.map((x) => (Array.isArray(x) ? { name: String(x[0]), value: String(x[1]) } : (x as Header)));
  }
  return Object.entries(h).map(([name, value]) => ({ name, value: String(value) }));
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

function delivery(d: Delivery, body: Uint8Array): WebhookDelivery {
  return {
    scheme: d.scheme,
    id: d.id,
    timestamp: toNumberOpt(d.timestamp),
    secretIndex: d.secretIndex,
    body,
    text: () => decoder.decode(body),
    json: () => JSON.parse(decoder.decode(body)) as unknown,
  };
}

/** A verifier set up once (keys decoded once) for many deliveries. */
export class WebhookVerifier {
  #verifier: Verifier | undefined;

  private constructor(v: Verifier) {
    this.#verifier = v;
  }

  /** Sets up a verifier; an unknown scheme or unusable secret throws `WebhookError`. */
  static async create(options: WebhookOptions): Promise<WebhookVerifier> {
    return WebhookVerifier.createWith(await loadCore(), options);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, options: WebhookOptions): WebhookVerifier {
    const { secrets, tolerance } = checkOptions(options);
    try {
      return new WebhookVerifier(core.webhooks.Verifier.create(options.scheme, secrets, tolerance));
    } catch (e) {
      throw new WebhookError(payloadOf<WitWebhookError>(e));
    }
  }

  private get verifier(): Verifier {
    if (!this.#verifier) throw new UsageError('disposed', 'this webhook verifier was disposed');
    return this.#verifier;
  }

  /** Verifies a delivery; reads (and so consumes) the request body. */
  async verify(request: Request, options: VerifyOptions = {}): Promise<WebhookDelivery> {
    if (!isRequest(request)) {
      throw new UsageError('not-a-request', 'verifyWebhook takes a standard Request');
    }
    const body = await rawBody(request, CORE_MAX_WEBHOOK_BODY);
    return this.verifyRaw(request.headers, body, options);
  }

  /** Verifies headers and raw body bytes (or text, encoded as UTF-8) directly. */
  verifyRaw(headers: HeadersInit | Header[], body: Uint8Array | string, options: VerifyOptions = {}): WebhookDelivery {
    const bytes = typeof body === 'string' ? utf8.encode(body) : body;
    if (!(bytes instanceof Uint8Array)) throw new UsageError('bad-argument', 'the body must be bytes or text');
    const now = toU64(options.now ?? Math.floor(Date.now() / 1000), 'now');
    try {
      return delivery(this.verifier.verify(toHeaders(headers), bytes, now), bytes);
    } catch (e) {
      throw new WebhookError(payloadOf<WitWebhookError>(e));
    }
  }

  /** Frees the keys now rather than at garbage collection. */
  dispose(): void {
    dispose(this.#verifier);
    this.#verifier = undefined;
  }
}

/**
 * Verifies one delivery: the signature over the raw body, the timestamp
 * within `tolerance`. Throws `WebhookError` for a refused delivery and
 * `UsageError` for a non-`Request` or an already consumed body.
 */
export async function verifyWebhook(
  request: Request,
  options: WebhookOptions & VerifyOptions,
): Promise<WebhookDelivery> {
  if (!isRequest(request)) {
    throw new UsageError('not-a-request', 'verifyWebhook takes a standard Request');
  }
  const v = await WebhookVerifier.create(options);
  try {
    return await v.verify(request, options);
  } finally {
    v.dispose();
  }
}

export interface SignOptions {
  /** The delivery id, for schemes that sign one. */
  id?: string;
  /** The timestamp (unix seconds), for schemes that sign one. */
  timestamp?: number;
}

/** The headers a sender attaches to `body` (for tests and for relaying). */
export async function signWebhook(
  scheme: WebhookScheme,
  secret: string,
  body: Uint8Array | string,
  options: SignOptions = {},
): Promise<Array<[string, string]>> {
  const core = await loadCore();
  const bytes = typeof body === 'string' ? utf8.encode(body) : body;
  if (typeof secret !== 'string') throw new UsageError('bad-argument', 'the secret must be a string');
  const ts = options.timestamp === undefined ? undefined : toU64(options.timestamp, 'timestamp');
  try {
    return core.webhooks.sign(scheme, secret, options.id, ts, bytes).map((h) => [h.name, h.value]);
  } catch (e) {
    throw new WebhookError(payloadOf<WitWebhookError>(e));
  }
}

/** The Fast.io event name of a delivery body, such as `workspace_storage_file_added`. */
export async function parseEvent(body: Uint8Array | string): Promise<string> {
  const core = await loadCore();
  try {
    return core.webhooks.parseEvent(typeof body === 'string' ? utf8.encode(body) : body);
  } catch (e) {
    throw new WebhookError(payloadOf<WitWebhookError>(e));
  }
}

/** Remembers delivery ids for a window, in bounded memory, to drop replays. */
export class ReplayGuard {
  readonly #guard: InstanceType<Core['webhooks']['ReplayGuard']>;
  private constructor(g: InstanceType<Core['webhooks']['ReplayGuard']>) {
    this.#guard = g;
  }
  static async create(windowS: number, capacity: number): Promise<ReplayGuard> {
    const core = await loadCore();
    return new ReplayGuard(new core.webhooks.ReplayGuard(toU64(windowS, 'windowS'), Number(toU64(capacity, 'capacity'))));
  }
  /** `fresh` the first time an id is seen in the window, `replay` after. */
  check(id: string, now: number = Math.floor(Date.now() / 1000)): 'fresh' | 'replay' {
    return this.#guard.check(id, toU64(now, 'now'));
  }
  get size(): number {
    return this.#guard.len();
  }
}
