// File Shares (durable links to one file), unified search and notes: each
// method names one core call; the core builds the request (the link password
// only in its header, what is refused before sending) and decides the one
// redirect a preview may follow, without credentials.

import type { ClientConfig, Error as WitError, HttpRequest } from '../component/interfaces/fastio-core-types.js';
import type { Core } from './core.js';
import { ApiError, TransportError, UsageError, payloadOf } from './errors.js';
import { describe, headerList, plainRequest, readBody, send, toFetchRequest } from './http.js';
import { coreRequest, decodeWith, resendableWith, type Call } from './requests.js';
import { walkPages, type PageOptions } from './pages.js';

/** What the client gives the helpers: the loaded core, its configuration and `fetch`. */
export interface Backend {
  core(): Promise<Core>;
  config(core: Core): ClientConfig;
  fetch: typeof fetch;
}

type Fields = Record<string, unknown>;

function compact(o: Fields): Fields {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

async function callWith(b: Backend, call: Call, signal?: AbortSignal): Promise<any> {
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

function profile(p: Place): Fields {
  if ((p.workspace === undefined) === (p.share === undefined)) {
    throw new UsageError('bad-argument', 'give exactly one of workspace or share');
  }
  return p.workspace !== undefined ? { workspace: p.workspace } : { share: p.share };
}

export interface FileShareCreate {
  title?: string;
  /** `anyone_with_link` (the default), `any_registered` or `named_people`. */
  access?: string;
  password?: string;
  /** Seconds from now. */
  expiresIn?: number;
  /** A date and time (UTC without a zone). */
  expiresAt?: string;
}

export interface FileShareUpdate extends FileShareCreate {
  clearPassword?: boolean;
  clearExpiry?: boolean;
}

function expiry(o: FileShareCreate): Fields | undefined {
  if (o.expiresIn !== undefined && o.expiresAt !== undefined) {
    throw new UsageError('bad-argument', 'give at most one of expiresIn or expiresAt');
  }
  if (o.expiresIn !== undefined) return { in: o.expiresIn };
  if (o.expiresAt !== undefined) return { at: o.expiresAt };
  return undefined;
}

/** Exactly one of a user id or an e-mail address. */
export interface Grantee {
  user?: string;
  email?: string;
}

function grantee(g: Grantee): Fields {
  if ((g.user === undefined) === (g.email === undefined)) {
    throw new UsageError('bad-argument', 'give exactly one of user or email');
  }
  return g.user !== undefined ? { user: g.user } : { email: g.email };
}

export class FileShares {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  #call(op: string, fields: Fields, signal?: AbortSignal): Promise<any> {
    return callWith(this.#b, { fileshares: compact({ op, ...fields }) }, signal);
  }

  /** A link to the file `node`; resolves to the File Share. */
  async create(workspace: string, node: string, o: FileShareCreate = {}): Promise<any> {
    const got = await this.#call('create', {
      workspace_id: workspace,
      node_id: node,
      title: o.title,
      access_option: o.access,
      password: o.password,
      expires: expiry(o),
    });
    return got.fileshare;
  }

  /** Every File Share of a workspace, page after page. */
  async *list(workspace: string, options: PageOptions = {}): AsyncGenerator<any, void, undefined> {
    const core = await this.#b.core();
    const call = { fileshares: { op: 'list', workspace_id: workspace } };
    for await (const page of walkPages(core, this.#b.config(core), this.#b.fetch, call, options)) yield* page.items;
  }

  /** Changes what is given; `clearPassword` / `clearExpiry` remove them. */
  async update(id: string, o: FileShareUpdate): Promise<any> {
    if (o.clearPassword && o.password !== undefined) throw new UsageError('bad-argument', 'give password or clearPassword, not both');
    const e = expiry(o);
    if (o.clearExpiry && e !== undefined) throw new UsageError('bad-argument', 'give an expiry or clearExpiry, not both');
    const got = await this.#call('update', {
      fileshare_id: id,
      title: o.title,
      access_option: o.access,
      password: o.clearPassword ? 'clear' : o.password !== undefined ? { set: o.password } : undefined,
      expires: o.clearExpiry ? 'clear' : e !== undefined ? { set: e } : undefined,
    });
    return got.fileshare;
  }

  async delete(id: string): Promise<void> {
    await this.#call('delete', { fileshare_id: id });
  }

  async grants(id: string): Promise<any[]> {
    return (await this.#call('grants', { fileshare_id: id })).grants;
  }

  /** Lets a user or an address `view`, `download` or `edit`. */
  async grant(id: string, who: Grantee, capability: string): Promise<unknown> {
    return this.#call('grant_add', { fileshare_id: id, grantee: grantee(who), capability });
  }

  async revoke(id: string, who: Grantee): Promise<void> {
    await this.#call('grant_remove', { fileshare_id: id, grantee: grantee(who) });
  }

  /** The link, its file and `effective_capability`. */
  async details(id: string, o: { password?: string } = {}): Promise<any> {
    return this.#call('details', { fileshare_id: id, password: o.password });
  }

  async versions(id: string, o: { password?: string } = {}): Promise<any[]> {
    return (await this.#call('versions', { fileshare_id: id, password: o.password })).versions;
  }

  /**
   * The file (or one `version` of it) as a `Response` whose body streams.
   * An error answer throws `ApiError`; a redirect is never followed with the
   * password or the key.
   */
  async open(id: string, o: { password?: string; version?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const call =
      o.version === undefined
        ? { fileshares: compact({ op: 'read', fileshare_id: id, password: o.password }) }
        : { fileshares: compact({ op: 'version_read', fileshare_id: id, version_id: o.version, password: o.password }) };
    return this.#stream(call, false, o.signal);
  }

  /**
   * A preview (`thumbnail`, `image`, `pdf`, …) as a streaming `Response`. The
   * service answers with a redirect, which the core follows once with no
   * credential at all.
   */
  async preview(id: string, kind: string, o: { password?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const call = { fileshares: compact({ op: 'preview', fileshare_id: id, preview_type: kind, password: o.password }) };
    return this.#stream(call, true, o.signal);
  }

  async #stream(call: Call, follow: boolean, signal?: AbortSignal): Promise<Response> {
    const core = await this.#b.core();
    const config = this.#b.config(core);
    let req: HttpRequest = coreRequest(core, config, call);
    let res = await this.#fetchHead(req, signal);
    if (follow && res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      try {
        req = core.requests.followRedirect(config, req.url, { status: res.status, headers: headerList(res.headers), body: new Uint8Array(0) });
      } catch (e) {
        const err = payloadOf<WitError>(e);
        throw new UsageError(err.tag, String(err.val));
      }
      res = await this.#fetchHead(req, signal);
    }
    if (res.status < 200 || res.status >= 300) {
      const body = await readBody(res.body, 1 << 20);
      // The core reads the refusal into a typed ApiError and throws it.
      decodeWith(core, { status: res.status, headers: headerList(res.headers), body }, { resendable: resendableWith(core, call) });
      throw new UsageError('unexpected-status', `HTTP ${res.status} was not an error to the core`);
    }
    return res;
  }

  async #fetchHead(req: HttpRequest, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.#b.fetch(toFetchRequest(plainRequest(req), signal));
    } catch (e) {
      throw new TransportError(describe(e), { cause: e });
    }
  }
}

/** One unified search hit. */
export interface SearchHit {
  bucket: 'files' | 'metadata' | 'comments' | string;
  id: string | null;
  item: unknown;
}

/**
 * A unified search over files, metadata (workspaces) and comments, every
 * bucket walked to its end on its own. A bucket the service reports as
 * degraded (partial results) ends early and is passed to `onDegraded`.
 */
export async function* search(
  b: Backend,
  query: string,
  place: Place,
  o: PageOptions & { pageSize?: number; onDegraded?: (bucket: string) => void } = {},
): AsyncGenerator<SearchHit, void, undefined> {
  const call: Fields = { op: 'unified', profile: profile(place), search: query };
  if (o.pageSize !== undefined) {
    for (const bucket of place.workspace !== undefined ? ['files', 'metadata', 'comments'] : ['files', 'comments']) {
      call[bucket] = { limit: o.pageSize };
    }
  }
  const core = await b.core();
  for await (const page of walkPages(core, b.config(core), b.fetch, { search: call }, o)) {
    for (const d of page.degraded) o.onDegraded?.(d);
    yield* page.items as SearchHit[];
  }
}

/** A compare-and-swap note update lost the race: `current` is the note now. */
export class NoteConflictError extends Error {
  readonly current: Record<string, unknown>;
  override readonly cause: ApiError;

  constructor(current: Record<string, unknown>, cause: ApiError) {
    super(`the note is at version ${String(current.version_id)} now`);
    this.name = 'NoteConflictError';
    this.current = current;
    this.cause = cause;
  }
}

/** Markdown notes the service versions like files. */
export class Notes {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  /** A new note (`name` ends in `.md`; at most 100 KB); resolves to its node. */
  async create(name: string, content: string, place: Place, parent = 'root'): Promise<any> {
    const call = { storage: { op: 'create_note', profile: profile(place), parent, name, content } };
    return (await callWith(this.#b, call)).node;
  }

  /** Its text and node; `version` reads an older one. */
  async read(node: string, place: Place, version?: string): Promise<{ content: string; note: any }> {
    const call = { storage: compact({ op: 'read_note', profile: profile(place), node, version_id: version }) };
    return callWith(this.#b, call);
  }

  /**
   * Rewrites and/or renames a note; with `ifVersion` only a note still at
   * that version changes, else `NoteConflictError` carries the note as it is.
   */
  async update(node: string, place: Place, o: { content?: string; name?: string; ifVersion?: string }): Promise<any> {
    const call = {
      storage: compact({ op: 'update_note', profile: profile(place), node, content: o.content, name: o.name, if_version_id: o.ifVersion }),
    };
    try {
      return (await callWith(this.#b, call)).node;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const current = versionConflict(await this.#b.core(), e);
      if (current) throw new NoteConflictError(current, e);
      throw e;
    }
  }
}

/** The note as it is now when the error is a version conflict: the core decides. */
function versionConflict(core: Core, e: ApiError): Record<string, unknown> | undefined {
  const current = core.requests.versionConflict(JSON.stringify(e.detail ?? {}));
  return current === undefined ? undefined : (JSON.parse(current) as Record<string, unknown>);
}
