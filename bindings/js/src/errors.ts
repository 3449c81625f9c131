// Typed errors. Every message comes from the core (which never puts secrets in
// its text) or is written here without any caller-supplied value, so an error
// can be logged as it is.

import type { ApiError as WitApiError, Retry } from '../component/interfaces/fastio-core-types.js';
import type {
  PlanError as WitPlanError,
  UploadError as WitUploadError,
} from '../component/interfaces/fastio-core-uploads.js';
import type { WebhookError as WitWebhookError } from '../component/interfaces/fastio-core-webhooks.js';
import type { HashError as WitHashError } from '../component/interfaces/fastio-core-hashing.js';
import type {
  GrantError as WitGrantError,
  PolicyError as WitPolicyError,
} from '../component/interfaces/fastio-core-policy.js';

/**
 * The one spelling of every error kind this package exposes. WIT variant
 * cases arrive in kebab case (`retries-exhausted`, `wrong-key`), while the
 * core's own kind strings, the conformance vectors and the other bindings use
 * snake case (`retries_exhausted`, `wrong_key`, `missing_header`); every kind
 * passes through here so a caller compares against one spelling only.
 */
export function snakeKind(kind: string): string {
  return kind.replace(/-/g, '_');
}

/** The base of every error this package throws. */
export class FastioError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller used the API wrongly (a wrong argument, a consumed body…); nothing was sent. */
export class UsageError extends FastioError {
  /** A stable code, such as `not-a-request` or `body-used`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** `fetch` itself failed: no HTTP response arrived. */
export class TransportError extends FastioError {}

/** What the core says to do after an error. */
export type RetryDecision =
  | { kind: 'never' }
  | { kind: 'backoff' }
  | { kind: 'at'; unixS: number }
  | { kind: 'after'; seconds: number };

function retryDecision(r: Retry): RetryDecision {
  switch (r.tag) {
    case 'at':
      return { kind: 'at', unixS: Number(r.val) };
    case 'after':
      return { kind: 'after', seconds: Number(r.val) };
    case 'backoff':
      return { kind: 'backoff' };
    default:
      return { kind: 'never' };
  }
}

/** A failed API call: HTTP status first, Fast.io code second, and the retry decision. */
export class ApiError extends FastioError {
  /** `api`, `malformed_response`, `body_too_large` or `transport`. */
  readonly kind: string;
  readonly status: number | undefined;
  /** Fast.io's `error.code`, as text. */
  readonly code: string | undefined;
  /** Fast.io's `error.error_code`, such as `APP_AUTH_INVALID`. */
  readonly errorCode: string | undefined;
  readonly retry: RetryDecision;
  /** The core's full error (field errors, rate limits…) as parsed JSON. */
  readonly detail: unknown;

  constructor(e: WitApiError) {
    const head = [e.status, e.code].filter((x) => x !== undefined).join(' ');
    super(head ? `${head}: ${e.message}` : e.message);
    this.kind = snakeKind(e.kind);
    this.status = e.status;
    this.code = e.code;
    this.errorCode = e.errorCode;
    this.retry = retryDecision(e.retry);
    this.detail = parseDetail(e.detailJson);
  }
}

function parseDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why an upload cannot be planned under the limits in force. */
export type PlanRefusal =
  | { kind: 'too_large'; size: number; max: number }
  | { kind: 'too_many_chunks'; size: number; chunkSize: number; chunks: number; max: number }
  | { kind: 'invalid_config'; reason: string };

/** The refusal a WIT plan-error carries, in this package's spelling. */
export function planRefusal(e: WitPlanError): PlanRefusal {
  switch (e.tag) {
    case 'too-large':
      return { kind: 'too_large', size: Number(e.val.size), max: Number(e.val.max) };
    case 'too-many-chunks':
      return {
        kind: 'too_many_chunks',
        size: Number(e.val.size),
        chunkSize: Number(e.val.chunkSize),
        chunks: Number(e.val.chunks),
        max: Number(e.val.max),
      };
    default:
      return { kind: 'invalid_config', reason: e.val };
  }
}

function refusalText(r: PlanRefusal): string {
  switch (r.kind) {
    case 'too_large':
      return `a file of ${r.size} bytes is larger than the maximum of ${r.max} bytes`;
    case 'too_many_chunks':
      return `a file of ${r.size} bytes needs ${r.chunks} chunks of ${r.chunkSize} bytes, more than the maximum of ${r.max}`;
    default:
      return `the upload configuration cannot produce a plan: ${r.reason}`;
  }
}

/** `planUpload` refused: the file is too large, needs too many chunks, or the configuration is unusable. */
export class PlanError extends FastioError {
  readonly refusal: PlanRefusal;
  constructor(e: WitPlanError) {
    const refusal = planRefusal(e);
    super(refusalText(refusal));
    this.refusal = refusal;
  }
  /** `too_large`, `too_many_chunks` or `invalid_config`. */
  get kind(): PlanRefusal['kind'] {
    return this.refusal.kind;
  }
}

/**
 * Kinds of a failed transfer. The first fourteen are the core's final verdicts
 * (`page_limit`: a listing did not end within its page bound); `aborted` (the
 * caller's signal) and `source` (the data could not be read) are the host's.
 */
export type TransferErrorKind =
  | 'api'
  | 'retries_exhausted'
  | 'integrity'
  | 'assembly'
  | 'session_expired'
  | 'short_read'
  | 'source_changed'
  | 'stream_too_large'
  | 'plan'
  | 'verify'
  | 'cancelled'
  | 'config'
  | 'other'
  | 'page_limit'
  | 'aborted'
  | 'source';

interface TransferFields {
  kind: TransferErrorKind;
  message: string;
  step?: string;
  attempts?: number;
  apiError?: ApiError;
  expected?: string;
  computed?: string;
  plan?: PlanRefusal;
  max?: number;
  cause?: unknown;
}

/** Shared shape of upload and download failures. */
export class TransferError extends FastioError {
  readonly kind: TransferErrorKind;
  /** The step that failed, such as `chunk 3` (api / retries_exhausted). */
  readonly step: string | undefined;
  readonly attempts: number | undefined;
  /** The server's answer behind an `api` or `retries_exhausted` failure. */
  readonly apiError: ApiError | undefined;
  /**
   * Integrity failures: the CRC32C sent and the one the server computed; for
   * a stored node that differs (`verifyStored`), the digest of the bytes read
   * and the node's hash.
   */
  readonly expected: string | undefined;
  readonly computed: string | undefined;
  /** `plan` failures: why the file could not be planned (nothing was sent). */
  readonly plan: PlanRefusal | undefined;
  /** `stream_too_large`: the stream's announced maximum, in bytes. */
  readonly max: number | undefined;

  constructor(f: TransferFields) {
    super(f.message, f.cause === undefined ? undefined : { cause: f.cause });
    this.kind = f.kind;
    this.step = f.step;
    this.attempts = f.attempts;
    this.apiError = f.apiError;
    this.expected = f.expected;
    this.computed = f.computed;
    this.plan = f.plan;
    this.max = f.max;
  }
}

/** An upload failed. When it can be continued, `resumeToken` holds the token. */
export class UploadError extends TransferError {
  readonly resumeToken: string | undefined;
  constructor(f: TransferFields & { resumeToken?: string }) {
    super(f);
    this.resumeToken = f.resumeToken;
  }
}

/** A download failed; bytes already read must be discarded. */
export class DownloadError extends TransferError {}

/** The fields of a core upload-error, for either class. */
export function transferFields(e: WitUploadError): TransferFields {
  switch (e.tag) {
    case 'api':
    case 'retries-exhausted': {
      const api = new ApiError(e.val.error);
      return {
        kind: snakeKind(e.tag) as TransferErrorKind,
        message: `${e.val.what}: ${api.message}`,
        step: e.val.what,
        attempts: e.val.attempts,
        apiError: api,
      };
    }
    case 'integrity':
      return {
        kind: 'integrity',
        message: 'the file the server assembled does not match what was sent',
        expected: e.val.expected,
        computed: e.val.computed,
      };
    case 'stored-mismatch':
      // As for a chunk: what was sent, and what the server holds.
      return {
        kind: 'integrity',
        message: `the stored node ${e.val.nodeId} has ${e.val.algo} ${e.val.stored}, but the bytes read hash to ${e.val.computed}`,
        expected: e.val.computed,
        computed: e.val.stored,
      };
    case 'source-changed':
      return { kind: 'source_changed', message: `chunk ${e.val} changed since it was first read` };
    case 'session-expired':
      return { kind: 'session_expired', message: `the upload session ${e.val} no longer exists` };
    case 'stream-too-large':
      return { kind: 'stream_too_large', message: `the stream passed its maximum of ${e.val} bytes`, max: Number(e.val) };
    case 'plan': {
      const plan = planRefusal(e.val);
      return { kind: 'plan', message: refusalText(plan), plan };
    }
    case 'cancelled':
      return { kind: 'cancelled', message: 'cancelled' };
    default:
      return { kind: snakeKind(e.tag) as TransferErrorKind, message: e.val };
  }
}

/** A webhook delivery was refused (`kind` as in the vectors: `missing_header`, `no_matching_signature`…). */
export class WebhookError extends FastioError {
  readonly kind: string;
  /** A common mistake recognised behind the error, such as `use_raw_body`. */
  readonly hint: string | undefined;
  constructor(e: WitWebhookError) {
    super(e.message);
    this.kind = snakeKind(e.kind);
    this.hint = e.hint === undefined ? undefined : snakeKind(e.hint);
  }
}

/** Hashing or digest verification failed. */
export class HashError extends FastioError {
  /** `unknown_algorithm`, `bad_digest`, `mismatch` or `other`. */
  readonly kind: string;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
  constructor(e: WitHashError) {
    if (e.tag === 'mismatch') {
      super(`${e.val.algo} mismatch: expected ${e.val.expected}, got ${e.val.actual}`);
      this.expected = e.val.expected;
      this.actual = e.val.actual;
    } else {
      super(e.val);
      this.expected = undefined;
      this.actual = undefined;
    }
    this.kind = snakeKind(e.tag);
  }
}

/** Why an upload is refused by a policy: `too_large`, `type_not_allowed`, `truncated` or `other`. */
export class PolicyError extends FastioError {
  readonly kind: 'too_large' | 'type_not_allowed' | 'truncated' | 'other';
  /** The HTTP status a gateway answers with (413, 415, 400, or what an `other` refusal carries). */
  readonly status: number;
  /** `too_large`: bytes declared or seen so far, and the limit. */
  readonly size: number | undefined;
  readonly max: number | undefined;
  /** `type_not_allowed`: what the bytes are (`unknown` when unrecognised) and the kinds allowed. */
  readonly found: string | undefined;
  readonly allowed: readonly string[] | undefined;
  /** `truncated`: the declared length and the bytes received. */
  readonly declared: number | undefined;
  readonly got: number | undefined;
  /** The refusal as the component reported it, for `policy.describe` and `policy.httpStatus`. */
  readonly raw: WitPolicyError;

  /** `message` and `status` come from the core (`describe`, `http-status`), so every binding answers alike. */
  constructor(e: WitPolicyError, message: string, status: number) {
    super(message);
    this.raw = e;
    this.kind = snakeKind(e.tag) as PolicyError['kind'];
    this.status = status;
    this.size = e.tag === 'too-large' ? Number(e.val.size) : undefined;
    this.max = e.tag === 'too-large' ? Number(e.val.max) : undefined;
    this.found = e.tag === 'type-not-allowed' ? e.val.found : undefined;
    this.allowed = e.tag === 'type-not-allowed' ? e.val.allowed.split(',').map((k) => k.trim()).filter((k) => k !== '') : undefined;
    this.declared = e.tag === 'truncated' ? Number(e.val.declared) : undefined;
    this.got = e.tag === 'truncated' ? Number(e.val.got) : undefined;
  }
}

/**
 * An upload grant was refused, or a grant key is unusable: `malformed`,
 * `wrong_key`, `tampered`, `expired`, `not_yet_valid`, `empty_key` or `other`.
 */
export class GrantError extends FastioError {
  readonly kind: 'malformed' | 'wrong_key' | 'tampered' | 'expired' | 'not_yet_valid' | 'empty_key' | 'other';
  /** `expired`: the expiry; `not_yet_valid`: the issue time (unix seconds). */
  readonly at: number | undefined;
  /** The caller's time the check used (unix seconds). */
  readonly now: number | undefined;

  constructor(e: WitGrantError) {
    // The token and the keys are never part of the message: a grant is a
    // bearer credential.
    super(grantMessage(e));
    this.kind = snakeKind(e.tag) as GrantError['kind'];
    const t = e.tag === 'expired' || e.tag === 'not-yet-valid' ? e.val : undefined;
    this.at = t === undefined ? undefined : Number(t.at);
    this.now = t === undefined ? undefined : Number(t.now);
  }
}

function grantMessage(e: WitGrantError): string {
  switch (e.tag) {
    case 'malformed':
      return `not an upload grant: ${e.val}`;
    case 'wrong-key':
      return 'the grant was signed with a key this keyring does not hold';
    case 'tampered':
      return 'the grant signature does not match: it was altered';
    case 'expired':
      return `the grant expired at ${e.val.at} (now ${e.val.now})`;
    case 'not-yet-valid':
      return `the grant was issued at ${e.val.at}, later than now (${e.val.now}) plus the allowed skew`;
    case 'empty-key':
      return 'a grant key secret is empty';
    default:
      return e.val;
  }
}

/**
 * jco throws a `ComponentError` whose `payload` is the WIT error value; this
 * returns that payload, or rethrows anything else (a trap is a bug, not an
 * answer).
 */
export function payloadOf<T>(e: unknown): T {
  if (e !== null && typeof e === 'object' && Object.prototype.hasOwnProperty.call(e, 'payload')) {
    return (e as { payload: T }).payload;
  }
  throw e;
}
