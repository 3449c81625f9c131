// Client options in JS terms, turned into the core's client-config.

import type { ClientConfig } from '../component/interfaces/fastio-core-types.js';
import { UsageError } from './errors.js';
import { toU64 } from './u64.js';

export interface ClientOptions {
  /** An API key, used as the bearer token. */
  apiKey?: string;
  /** A JWT from password sign-in. */
  jwt?: string;
  /** An OAuth access token. */
  oauthToken?: string;
  /** Base URL ending in `/`; default the core's (`https://api.fast.io/current/`). */
  baseUrl?: string;
  /** The `User-Agent` header; default the core's. */
  userAgent?: string;
  /** Where chunk fields go: the query string (the live service) or multipart form fields. */
  chunkParams?: 'query' | 'form';
  /** Response bodies larger than this are refused; default the core's (16 MiB). */
  maxResponseBytes?: number;
  /** The `fetch` to send with; default the global one. */
  fetch?: typeof fetch;
}

/**
 * The core's default base URL, for code that needs it before the core is
 * loaded; the tests check it against the core's `defaults().baseUrl`, which
 * is used wherever the core is loaded anyway.
 */
export const DEFAULT_BASE_URL = 'https://api.fast.io/current/';

/** `defaultBaseUrl`: the loaded core's default, when the caller has the core. */
export function clientConfig(o: ClientOptions, defaultBaseUrl: string = DEFAULT_BASE_URL): ClientConfig {
  const given = [o.apiKey, o.jwt, o.oauthToken].filter((x) => x !== undefined);
  if (given.length > 1) {
    throw new UsageError('bad-argument', 'give one of apiKey, jwt and oauthToken');
  }
  for (const v of given) {
    if (typeof v !== 'string' || v === '') {
      throw new UsageError('bad-argument', 'the credential must be a non-empty string');
    }
  }
  const credential =
    o.apiKey !== undefined
      ? { tag: 'api-key' as const, val: o.apiKey }
      : o.jwt !== undefined
        ? { tag: 'jwt' as const, val: o.jwt }
        : o.oauthToken !== undefined
          ? { tag: 'oauth' as const, val: o.oauthToken }
          : undefined;
  if (o.chunkParams !== undefined && o.chunkParams !== 'query' && o.chunkParams !== 'form') {
    throw new UsageError('bad-argument', "chunkParams must be 'query' or 'form'");
  }
  return {
    baseUrl: o.baseUrl ?? defaultBaseUrl,
    credential,
    userAgent: o.userAgent,
    chunkParams: o.chunkParams ?? 'query',
    maxResponseBytes:
      o.maxResponseBytes === undefined ? undefined : toU64(o.maxResponseBytes, 'maxResponseBytes'),
  };
}
