// Paged listings through the component's pager: the core says which request
// reads the next page, where a page's items are and when the listing ends;
// this sends each request and hands the answer back.

import type { ClientConfig, Error as WitError, HttpResponse } from '../component/interfaces/fastio-core-types.js';
import type { Pager } from '../component/interfaces/fastio-core-requests.js';
import { dispose, type Core } from './core.js';
import { ApiError, TransferError, UsageError, payloadOf } from './errors.js';
import { send } from './http.js';
import { callJson, coreRequest, type Call } from './requests.js';

export interface PageOptions {
  /**
   * The most pages read (default the core's bound). A listing that goes on
   * past it throws a `TransferError` of kind `page_limit`.
   */
  maxPages?: number;
  signal?: AbortSignal;
}

/** One page of a listing. */
export interface Page<T = unknown> {
  /** The HTTP status (2xx). */
  status: number;
  /** The page's items, in order. */
  items: T[];
  /** The whole payload, `pagination` and all. */
  payload: unknown;
  /** True on the last page. */
  done: boolean;
  /**
   * A unified search's buckets that answered `degraded` (partial results;
   * their walk ended); empty for other listings. A search's items are
   * `{bucket, id, item}`.
   */
  degraded: string[];
}

function maxPagesOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new UsageError('bad-argument', 'maxPages must be an integer from 0 to 4294967295');
  }
  return v;
}

/**
 * A pager over `call`. A call that cannot be built throws as `call` would
 * (`UsageError` with the core's code); one that is no listing throws
 * `UsageError` with code `not-pageable`.
 */
export function openPager(core: Core, config: ClientConfig, call: Call | string, maxPages?: number): Pager {
  const text = callJson(call);
  const max = maxPagesOf(maxPages);
  try {
    return core.requests.Pager.create(config, text, max);
  } catch (e) {
    const err = payloadOf<WitError>(e);
    if (err.tag !== 'invalid-input') throw new UsageError(err.tag, err.tag === 'api' ? err.val.message : err.val);
    // The pager refuses a call it cannot read and a call that is no listing
    // alike; building the call tells the two apart.
    coreRequest(core, config, text);
    throw new UsageError('not-pageable', err.val);
  }
}

/** The request for the next page, or `undefined` once the last page was read. */
export function nextPageRequest(pager: Pager) {
  try {
    return pager.nextRequest();
  } catch (e) {
    const err = payloadOf<WitError>(e);
    switch (err.tag) {
      case 'api':
        throw new ApiError(err.val);
      case 'other':
        // The only refusal of a next request that is not a build error: the page bound.
        throw new TransferError({ kind: 'page_limit', message: err.val });
      default:
        throw new UsageError(err.tag, err.val);
    }
  }
}

/** Reads an answer into a page; an error answer throws `ApiError` and the same request is due again. */
export function readPage(pager: Pager, response: HttpResponse): Page {
  let p;
  try {
    p = pager.onResponse(response);
  } catch (e) {
    const err = payloadOf<WitError>(e);
    if (err.tag === 'api') throw new ApiError(err.val);
    throw new UsageError(err.tag, err.val);
  }
  return {
    status: p.status,
    items: p.itemsJson.map((t) => JSON.parse(t) as unknown),
    payload: JSON.parse(p.payloadJson) as unknown,
    done: p.done,
    degraded: p.degraded,
  };
}

/** Walks a listing: one request per page, each answer fed back, until the core says it is over. */
export async function* walkPages(
  core: Core,
  config: ClientConfig,
  fetchFn: typeof fetch,
  call: Call | string,
  options: PageOptions = {},
): AsyncGenerator<Page, void, undefined> {
  const pager = openPager(core, config, call, options.maxPages);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const req = nextPageRequest(pager);
      if (req === undefined) return;
      yield readPage(pager, await send(fetchFn, req, options.signal));
    }
  } finally {
    dispose(pager);
  }
}
