// A Fast.io client: the credential and fetch in one place, and the calls a
// user makes with them.

import { loadCore, type Core } from './core.js';
import { clientConfig, type ClientOptions } from './config.js';
import type { ClientConfig } from '../component/interfaces/fastio-core-types.js';
import { UsageError } from './errors.js';
import { send, toFetchRequest, type PlainRequest } from './http.js';
import { buildWith, coreRequest, decodeWith, resendableWith, type Call } from './requests.js';
import { openSource, type UploadSource } from './source.js';
import { runUpload, type TransferOptions, type UploadResult } from './upload.js';
import { DownloadRun, downloadStream, type DownloadOptions, type DownloadStream } from './download.js';
import { walkPages, type Page, type PageOptions } from './pages.js';
import { FileShares } from './fileshares.js';
import { Comments, Members, Notes, search, type SearchHit } from './collab.js';
import type { Backend, Place } from './calls.js';

export interface UploadOptions extends TransferOptions {
  /** The workspace to upload into. */
  workspace: string;
  /** The folder id; default `root`. */
  folder?: string;
  /** The file name; default the File's name or the path's base name (required for other sources). */
  name?: string;
  /**
   * Have the core ask the server's `GET /upload/limits/` first and plan with
   * its answer (chunk size and bounds, file size, chunk and in-flight
   * maximums), starting from the options given. A refused or unusable answer
   * leaves the options given as they are.
   */
  serverLimits?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
}

function nonEmpty(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError('bad-argument', `${what} must be a non-empty string`);
  return v;
}

export class FastioClient {
  // Private fields: the credential never shows up in util.inspect or JSON.
  readonly #options: ClientOptions;
  readonly #config: ClientConfig;
  readonly #fetch: typeof fetch;

  /** File Shares: durable links to one file, with an optional password. */
  readonly fileShares: FileShares;
  /** Markdown notes, with compare-and-swap updates. */
  readonly notes: Notes;
  /** Members and invitations of workspaces, shares and orgs. */
  readonly members: Members;
  /** Comments on files. */
  readonly comments: Comments;

  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    this.#config = clientConfig(options);
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new UsageError('bad-argument', 'no fetch: pass options.fetch');
    this.#fetch = f.bind(globalThis) as typeof fetch;
    this.fileShares = new FileShares(this.#backend());
    this.notes = new Notes(this.#backend());
    this.members = new Members(this.#backend());
    this.comments = new Comments(this.#backend());
  }

  #backend(): Backend {
    return { core: loadCore, config: (core) => this.#configWith(core), fetch: this.#fetch };
  }

  /**
   * A unified search over files, metadata (workspaces) and comments: yields
   * `{bucket, id, item}` as every bucket is walked to its end on its own.
   */
  search(
    query: string,
    place: Place,
    options: PageOptions & { pageSize?: number; onDegraded?: (bucket: string) => void } = {},
  ): AsyncGenerator<SearchHit, void, undefined> {
    return search(this.#backend(), query, place, options);
  }

  get baseUrl(): string {
    return this.#config.baseUrl;
  }

  /** The configuration with the loaded core's own default base URL when none was given. */
  #configWith(core: Core): ClientConfig {
    return this.#options.baseUrl === undefined
      ? { ...this.#config, baseUrl: core.requests.defaults().baseUrl }
      : this.#config;
  }

  toString(): string {
    return `FastioClient(${this.#config.baseUrl})`;
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.#config.baseUrl };
  }

  /** The exact request for a call, as plain data. */
  async buildRequest(call: Call | string, external?: readonly Uint8Array[]): Promise<PlainRequest> {
    return buildWith(await loadCore(), this.#options, call, external);
  }

  /** The same as a `Request` ready for `fetch`. */
  async request(call: Call | string, external?: readonly Uint8Array[]): Promise<Request> {
    return toFetchRequest(await this.buildRequest(call, external));
  }

  /**
   * Sends one call and returns the unwrapped payload. Throws `ApiError` (with
   * the core's retry decision) for a refusal and `TransportError` when no
   * answer came; it does not retry by itself.
   */
  async call<T = unknown>(call: Call | string, options: CallOptions = {}): Promise<T> {
    const core = await loadCore();
    const req = coreRequest(core, this.#configWith(core), call);
    const resendable = resendableWith(core, call);
    const resp = await send(this.#fetch, req, options.signal);
    return decodeWith(core, resp, {
      resendable,
      maxBodyBytes: this.#options.maxResponseBytes,
    }) as T;
  }

  /**
   * The pages of a listing (`{ storage: { op: 'list', profile: { workspace } } }`,
   * `{ orgs: { op: 'all_workspaces' } }`, …), one request per page, as they
   * are read: `for await (const page of client.pages(call)) …`. The core
   * decides how the listing pages, where a page's items are and when it
   * ends. A call that is no listing throws `UsageError` (`not-pageable`), an
   * error answer `ApiError`, a listing longer than `maxPages` pages
   * `TransferError` (`page_limit`).
   */
  async *pages<T = unknown>(call: Call | string, options: PageOptions = {}): AsyncGenerator<Page<T>, void, undefined> {
    const core = await loadCore();
    yield* walkPages(core, this.#configWith(core), this.#fetch, call, options) as AsyncGenerator<Page<T>, void, undefined>;
  }

  /** Every item of a listing, page after page (see `pages`). */
  async *items<T = unknown>(call: Call | string, options: PageOptions = {}): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages<T>(call, options)) yield* page.items;
  }

  /**
   * Uploads a Blob/File, a ReadableStream (unknown length: a stream upload)
   * or, in Node, a file path. Resolves when the file is stored.
   */
  async upload(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
    if (options === null || typeof options !== 'object') throw new UsageError('bad-argument', 'upload options are required');
    const workspace = nonEmpty(options.workspace, 'workspace');
    const folder = options.folder === undefined ? 'root' : nonEmpty(options.folder, 'folder');
    const core = await loadCore();
    const src = await openSource(source);
    try {
      const name = nonEmpty(options.name ?? src.name, 'name (required for this source)');
      const start = { kind: 'new' as const, name, workspace, folder };
      return await runUpload(core, this.#configWith(core), this.#fetch, src, start, {
        ...options,
        fetchLimits: options.serverLimits === true,
      });
    } finally {
      await src.close().catch(() => undefined);
    }
  }

  /**
   * Continues an upload from a token passed to `onResumeToken` (or carried
   * by an aborted upload's error). `source` must hold the same bytes; the
   * server is asked which chunks it has, and only the rest are read and sent.
   */
  async resume(token: string, source: Blob | string | URL, options: TransferOptions = {}): Promise<UploadResult> {
    nonEmpty(token, 'token');
    const core = await loadCore();
    const src = await openSource(source);
    try {
      if (src.kind !== 'sized') throw new UsageError('bad-source', 'a resumed upload reads a Blob or a file, not a stream');
      return await runUpload(core, this.#configWith(core), this.#fetch, src, { kind: 'resume', token }, options);
    } finally {
      await src.close().catch(() => undefined);
    }
  }

  /**
   * The bytes of a file node as a stream, verified as they arrive against
   * the node's hash; the stream errors (`DownloadError`) on a mismatch
   * before its last piece is delivered.
   */
  download(node: string, options: DownloadOptions): DownloadStream {
    nonEmpty(node, 'node');
    if (options === null || typeof options !== 'object') throw new UsageError('bad-argument', 'download options are required');
    nonEmpty(options.workspace, 'workspace');
    if ((options.verify as unknown) === false) {
      throw new UsageError('bad-argument', 'downloads are always verified; the core has no unverified path');
    }
    return downloadStream(
      new DownloadRun(() => loadCore(), (core) => this.#configWith(core), this.#fetch, node, options),
    );
  }
}

export function createClient(options: ClientOptions = {}): FastioClient {
  return new FastioClient(options);
}
