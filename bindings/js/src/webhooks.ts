// Webhook verification on a standard `Request`: the raw body is read once,
// bounded, and checked by the core's verifier with the request's headers.

import type { Header } from '../component/interfaces/fastio-core-types.js';
import type {
  CustomScheme,
  Delivery,
  SchemeConfig,
  TimestampCheck,
  Verifier,
  VerifierOptions as WitVerifierOptions,
  WebhookError as WitWebhookError,
} from '../component/interfaces/fastio-core-webhooks.js';
import { dispose, loadCore, type Core } from './core.js';
import { TransportError, UsageError, WebhookError, payloadOf } from './errors.js';
import { concat, describe, headerList } from './http.js';
import { toNumberOpt, toU64 } from './u64.js';

/** A built-in signing scheme by the core's stable name. */
export type WebhookScheme =
  | 'fastio'
  | 'fastio-timestamped'
  | 'fastio-timestamped-hex'
  | 'standard-webhooks'
  | 'github'
  | 'stripe'
  | 'shopify'
  | (string & {});

/** Any other HMAC scheme, described by its headers, encoding and signed content. */
export interface CustomWebhookScheme {
  name: 'custom';
  /** The header carrying the signature. */
  signatureHeader: string;
  /** The header carrying the delivery id; required when the template uses `{id}`. */
  idHeader?: string;
  /** The header carrying the unix timestamp; required when the template uses `{timestamp}`, refused otherwise. */
  timestampHeader?: string;
  /** How the MAC is written. */
  encoding: 'hex' | 'base64';
  /** Text before the encoded MAC, such as `sha256=` (default none). */
  prefix?: string;
  /** The HMAC's hash function (default `sha256`). */
  algorithm?: 'sha256' | 'sha512';
  /**
   * The signed content: `{id}`, `{timestamp}` and `{body}` (exactly once);
   * `{{` and `}}` are literal braces. Example: `{id}.{timestamp}.{body}`.
   */
  template: string;
}

/** `fastio-timestamped-hex` with its timestamp in another header than `x-fastio-timestamp`. */
export interface TimestampedHexScheme {
  name: 'fastio-timestamped-hex';
  timestampHeader: string;
}

/** A scheme: a built-in one by name, or one with its configuration. */
export type WebhookSchemeSpec = WebhookScheme | CustomWebhookScheme | TimestampedHexScheme;

/** Separate allowances for old deliveries and for a sender's clock running ahead. */
export interface WebhookTolerance {
  /** Oldest accepted timestamp, seconds before now. */
  maxAgeS: number;
  /** Furthest accepted timestamp, seconds after now (clock skew). */
  maxFutureS: number;
}

export interface WebhookOptions {
  scheme: WebhookSchemeSpec;
  /** One secret, or several during a rotation (any may match). */
  secrets: string | readonly string[];
  /**
   * For schemes that sign a timestamp: seconds of allowed skew either way,
   * separate past and future allowances (`timestamp_too_old` and
   * `timestamp_in_future` stay distinct errors), or `false` to skip the
   * check. Required: skipping it must be written down.
   */
  tolerance: number | WebhookTolerance | false;
  /** The largest body accepted, bytes (default 1 MiB); a larger one is `body_too_large`. */
  maxBodyBytes?: number;
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
 * The core's body limit when none is given (its `DEFAULT_MAX_BODY_BYTES`).
 * Reading stops one byte past the limit, so the core refuses an oversized
 * body (`body_too_large`) without the whole of it being buffered.
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

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new UsageError('bad-argument', `${what} must be a string`);
  return v;
}

/** The WIT scheme configuration; whether it is consistent is the core's to decide (`invalid_scheme`). */
function schemeConfig(scheme: unknown): SchemeConfig {
  if (typeof scheme === 'string') return { tag: 'named', val: scheme };
  if (scheme === null || typeof scheme !== 'object') {
    throw new UsageError('bad-argument', 'scheme must be a scheme name or a scheme object');
  }
  const o = scheme as Record<string, unknown>;
  if (o.name === 'fastio-timestamped-hex') {
    const header = optionalString(o.timestampHeader, 'timestampHeader');
    return header === undefined ? { tag: 'named', val: 'fastio-timestamped-hex' } : { tag: 'fastio-timestamped-hex', val: header };
  }
  if (o.name === 'custom') {
    const encoding = o.encoding;
    if (encoding !== 'hex' && encoding !== 'base64') throw new UsageError('bad-argument', "encoding must be 'hex' or 'base64'");
    const algorithm = o.algorithm ?? 'sha256';
    if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new UsageError('bad-argument', "algorithm must be 'sha256' or 'sha512'");
    const custom: CustomScheme = {
      signatureHeader: optionalString(o.signatureHeader, 'signatureHeader') ?? '',
      idHeader: optionalString(o.idHeader, 'idHeader'),
      timestampHeader: optionalString(o.timestampHeader, 'timestampHeader'),
      encoding,
      prefix: optionalString(o.prefix, 'prefix') ?? '',
      algorithm,
      template: optionalString(o.template, 'template') ?? '',
    };
    return { tag: 'custom', val: custom };
  }
  if (typeof o.name === 'string') return { tag: 'named', val: o.name };
  throw new UsageError('bad-argument', 'a scheme object needs a name');
}

function timestampCheck(t: unknown): TimestampCheck {
  if (t === undefined) {
    throw new UsageError('bad-argument', 'tolerance is required: seconds of allowed clock skew, { maxAgeS, maxFutureS }, or false to skip the check');
  }
  if (t === false) return { tag: 'skip' };
  if (typeof t === 'number' || typeof t === 'bigint') {
    const s = toU64(t, 'tolerance');
    return { tag: 'within', val: { maxAgeS: s, maxFutureS: s } };
  }
  if (t !== null && typeof t === 'object') {
    const o = t as Partial<WebhookTolerance>;
    return {
      tag: 'within',
      val: { maxAgeS: toU64(o.maxAgeS as number, 'tolerance.maxAgeS'), maxFutureS: toU64(o.maxFutureS as number, 'tolerance.maxFutureS') },
    };
  }
  throw new UsageError('bad-argument', 'tolerance must be seconds, { maxAgeS, maxFutureS }, or false');
}

interface Checked {
  scheme: SchemeConfig;
  secrets: string[];
  options: WitVerifierOptions;
  /** The body limit in bytes, for reading a Request. */
  maxBody: number;
}

function checkOptions(o: WebhookOptions): Checked {
  if (o === null || typeof o !== 'object') throw new UsageError('bad-argument', 'webhook options are required');
  const maxBody = o.maxBodyBytes === undefined ? undefined : toU64(o.maxBodyBytes, 'maxBodyBytes');
  return {
    scheme: schemeConfig(o.scheme),
    secrets: secretList(o.secrets),
    options: { timestamp: timestampCheck(o.tolerance), maxBodyBytes: maxBody },
    maxBody: maxBody === undefined ? CORE_MAX_WEBHOOK_BODY : Number(maxBody),
  };
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
  readonly #maxBody: number;

  private constructor(v: Verifier, maxBody: number) {
    this.#verifier = v;
    this.#maxBody = maxBody;
  }

  /**
   * Sets up a verifier; an unknown or inconsistent scheme (`invalid_scheme`)
   * or an unusable secret (`invalid_secret`) throws `WebhookError`.
   */
  static async create(options: WebhookOptions): Promise<WebhookVerifier> {
    return WebhookVerifier.createWith(await loadCore(), options);
  }

  /** The same with a loaded core, synchronously. */
  static createWith(core: Core, options: WebhookOptions): WebhookVerifier {
    const c = checkOptions(options);
    try {
      return new WebhookVerifier(core.webhooks.Verifier.configure(c.scheme, c.secrets, c.options), c.maxBody);
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
    const body = await rawBody(request, this.#maxBody);
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

/** The headers a sender attaches to `body` (for tests and for relaying), for any scheme, custom ones included. */
export async function signWebhook(
  scheme: WebhookSchemeSpec,
  secret: string,
  body: Uint8Array | string,
  options: SignOptions = {},
): Promise<Array<[string, string]>> {
  const core = await loadCore();
  const bytes = typeof body === 'string' ? utf8.encode(body) : body;
  if (typeof secret !== 'string') throw new UsageError('bad-argument', 'the secret must be a string');
  const ts = options.timestamp === undefined ? undefined : toU64(options.timestamp, 'timestamp');
  const config = schemeConfig(scheme);
  try {
    return core.webhooks.signWith(config, secret, options.id, ts, bytes).map((h) => [h.name, h.value]);
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
