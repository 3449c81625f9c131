// The request builders and the response decoder: a call described as JSON
// (the shape of the request vectors' `call`) becomes the exact request; an
// answer becomes the unwrapped payload or an ApiError.

import type { ClientConfig, Error as WitError, HttpRequest, HttpResponse } from '../component/interfaces/fastio-core-types.js';
import type { ApiError as WitApiError } from '../component/interfaces/fastio-core-types.js';
import { loadCore, type Core } from './core.js';
import { clientConfig, type ClientOptions } from './config.js';
import { ApiError, UsageError, payloadOf } from './errors.js';
import { headerList, plainRequest, readBody, RESPONSE_READ_LIMIT, type PlainRequest } from './http.js';
import { toU64 } from './u64.js';

/** An API call, e.g. `{ storage: { op: 'list', profile: { workspace: id } } }`. */
export type Call = { [group: string]: unknown };

export function callJson(call: Call | string): string {
  if (typeof call === 'string') return call;
  if (call === null || typeof call !== 'object') {
    throw new UsageError('bad-argument', 'a call is an object such as { orgs: { op: "list" } }');
  }
  return JSON.stringify(call);
}

function buildError(e: WitError): UsageError | ApiError {
  if (e.tag === 'api') return new ApiError(e.val);
  return new UsageError(e.tag, e.val);
}

/** The core's request for a call; a refused call throws a typed error. */
export function coreRequest(core: Core, config: ClientConfig, call: Call | string): HttpRequest {
  try {
    return core.requests.build(config, callJson(call));
  } catch (e) {
    throw buildError(payloadOf<WitError>(e));
  }
}

/** Builds a request synchronously with a loaded core. */
export function buildWith(
  core: Core,
  options: ClientOptions,
  call: Call | string,
  external?: readonly Uint8Array[],
): PlainRequest {
  return plainRequest(coreRequest(core, clientConfig(options, core.requests.defaults().baseUrl), call), external);
}

/** The exact request for one API call. Refused calls throw a `UsageError` before anything is sent. */
export async function buildRequest(
  call: Call | string,
  options: ClientOptions & { external?: readonly Uint8Array[] } = {},
): Promise<PlainRequest> {
  const core = await loadCore();
  return buildWith(core, options, call, options.external);
}

/** Whether a call may be sent again after a 5xx or a lost answer without risk of doing it twice. */
export async function isResendable(call: Call | string): Promise<boolean> {
  return resendableWith(await loadCore(), call);
}

/** @deprecated The former name of `isResendable`. */
export const isIdempotent = isResendable;

export function resendableWith(core: Core, call: Call | string): boolean {
  try {
    return core.requests.isResendable(callJson(call));
  } catch (e) {
    throw buildError(payloadOf<WitError>(e));
  }
}

export interface DecodeOptions {
  /** Whether the call may be sent again (changes the retry decision after a 5xx); default true. */
  resendable?: boolean;
  /** @deprecated The former name of `resendable`, read when it is not given. */
  idempotent?: boolean;
  /** Larger bodies are refused; default the core's (16 MiB). */
  maxBodyBytes?: number;
}

/** The body limit: the caller's, else the core's default. */
function maxBody(core: Core, o: DecodeOptions): number {
  return o.maxBodyBytes ?? Number(core.requests.defaults().maxResponseBytes);
}

/** A response as the core reads it. */
export interface RawResponse {
  status: number;
  headers: Array<[string, string]> | Headers;
  body: Uint8Array;
}

/** Decodes a response synchronously with a loaded core: the payload, or throws `ApiError`. */
export function decodeWith(core: Core, res: HttpResponse, o: DecodeOptions = {}): unknown {
  let d;
  try {
    d = core.requests.decode(res, {
      maxBodyBytes: toU64(maxBody(core, o), 'maxBodyBytes'),
      resendable: o.resendable ?? o.idempotent ?? true,
    });
  } catch (e) {
    throw new ApiError(payloadOf<WitApiError>(e));
  }
  return JSON.parse(d.valueJson) as unknown;
}

/** Decodes a `Response` (or its parts): the unwrapped payload, or throws `ApiError`. */
export async function decodeResponse(res: Response | RawResponse, o: DecodeOptions = {}): Promise<unknown> {
  const core = await loadCore();
  let plain: HttpResponse;
  if (res instanceof Response) {
    const limit = Math.min(RESPONSE_READ_LIMIT, maxBody(core, o) + 1);
    plain = { status: res.status, headers: headerList(res.headers), body: await readBody(res.body, limit) };
  } else {
    const headers =
      res.headers instanceof Headers ? headerList(res.headers) : res.headers.map(([name, value]) => ({ name, value }));
    plain = { status: res.status, headers, body: res.body };
  }
  return decodeWith(core, plain, o);
}
