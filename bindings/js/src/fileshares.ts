// File Shares (durable links to one file): each method names one core call;
// the core builds the request (the link password only in its header, what is
// refused before sending) and decides the one redirect a preview may follow,
// without credentials.

import type { Error as WitError, HttpRequest } from '../component/interfaces/fastio-core-types.js';
import { TransportError, UsageError, payloadOf } from './errors.js';
import { describe, headerList, plainRequest, readBody, toFetchRequest } from './http.js';
import { coreRequest, decodeWith, resendableWith, type Call } from './requests.js';
import { walkPages, type PageOptions } from './pages.js';
import { callWith, compact, type Backend, type Fields } from './calls.js';

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

