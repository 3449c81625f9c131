// Typed errors. Every message comes from the core (which never puts secrets in
// its text) or is written here without any caller-supplied value, so an error
// can be logged as it is.

import type { ApiError as WitApiError, Retry } from '../component/interfaces/fastio-core-types.js';
import type { UploadError as WitUploadError } from '../component/interfaces/fastio-core-uploads.js';
import type { WebhookError as WitWebhookError } from '../component/interfaces/fastio-core-webhooks.js';
import type { HashError as WitHashError } from '../component/interfaces/fastio-core-hashing.js';

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
    this.kind = e.kind;
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

/**
 * Kinds of a failed transfer. The first ten are the core's final verdicts;
 * `aborted` (the caller's signal) and `source` (the data could not be read) are
 * the host's.
 */
export type TransferErrorKind =
  | 'api'
  | 'retries-exhausted'
  | 'integrity'
  | 'assembly'
  | 'session-expired'
  | 'short-read'
  | 'source-changed'
  | 'verify'
  | 'cancelled'
  | 'config'
  | 'other'
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
  cause?: unknown;
}

/** Shared shape of upload and download failures. */
export class TransferError extends FastioError {
  readonly kind: TransferErrorKind;
  /** The step that failed, such as `chunk 3` (api / retries-exhausted). */
  readonly step: string | undefined;
  readonly attempts: number | undefined;
  /** The server's answer behind an `api` or `retries-exhausted` failure. */
  readonly apiError: ApiError | undefined;
  /** Integrity failures: the CRC32C sent and the one the server computed. */
  readonly expected: string | undefined;
  readonly computed: string | undefined;

  constructor(f: TransferFields) {
    super(f.message, f.cause === undefined ? undefined : { cause: f.cause });
    this.kind = f.kind;
    this.step = f.step;
    this.attempts = f.attempts;
    this.apiError = f.apiError;
    this.expected = f.expected;
    this.computed = f.computed;
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
        kind: e.tag,
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
    case 'source-changed':
      return { kind: 'source-changed', message: `chunk ${e.val} changed since it was first read` };
    case 'session-expired':
      return { kind: 'session-expired', message: `the upload session ${e.val} no longer exists` };
    case 'cancelled':
      return { kind: 'cancelled', message: 'cancelled' };
    default:
      return { kind: e.tag, message: e.val };
  }
}

/** A webhook delivery was refused (`kind` as in the vectors: `missing_header`, `no_matching_signature`…). */
export class WebhookError extends FastioError {
  readonly kind: string;
  /** A common mistake recognised behind the error, such as `use_raw_body`. */
  readonly hint: string | undefined;
  constructor(e: WitWebhookError) {
    super(e.message);
    this.kind = e.kind;
    this.hint = e.hint;
  }
}

/** Hashing or digest verification failed. */
export class HashError extends FastioError {
  /** `unknown-algorithm`, `bad-digest`, `mismatch` or `other`. */
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
    this.kind = e.tag;
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
