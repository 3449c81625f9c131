// What the call helpers (File Shares, search, notes, members, comments) share:
// the loaded core, its configuration and fetch, and one way to send a call.

import type { ClientConfig } from '../component/interfaces/fastio-core-types.js';
import type { Core } from './core.js';
import { UsageError } from './errors.js';
import { send } from './http.js';
import { coreRequest, decodeWith, resendableWith, type Call } from './requests.js';

/** What the client gives the helpers: the loaded core, its configuration and `fetch`. */
export interface Backend {
  core(): Promise<Core>;
  config(core: Core): ClientConfig;
  fetch: typeof fetch;
}

export type Fields = Record<string, unknown>;

/** The fields that are given. */
export function compact(o: Fields): Fields {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Builds, sends and decodes one call. */
export async function callWith(b: Backend, call: Call, signal?: AbortSignal): Promise<any> {
  const core = await b.core();
  const req = coreRequest(core, b.config(core), call);
  const resp = await send(b.fetch, req, signal);
  return decodeWith(core, resp, { resendable: resendableWith(core, call) });
}

/** Where a call applies: exactly one of a workspace or a share. */
export interface Place {
  workspace?: string;
  share?: string;
}

export function profile(p: Place): Fields {
  if ((p.workspace === undefined) === (p.share === undefined)) {
    throw new UsageError('bad-argument', 'give exactly one of workspace or share');
  }
  return p.workspace !== undefined ? { workspace: p.workspace } : { share: p.share };
}
