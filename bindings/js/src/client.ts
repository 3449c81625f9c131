// A Fast.io client: the credential and fetch in one place, and the calls a
// user makes with them.

import { loadCore } from './core.js';
import { clientConfig, type ClientOptions } from './config.js';
import type { ClientConfig } from '../component/interfaces/fastio-core-types.js';
import { ApiError, TransportError, UsageError } from './errors.js';
import { applyLimits } from './plan.js';
import { send, toFetchRequest, type PlainRequest } from './http.js';
import { buildWith, coreRequest, decodeWith, idempotentWith, type Call } from './requests.js';
import { openSource, type UploadSource } from './source.js';
import { runUpload, type TransferOptions, type UploadResult } from './upload.js';
import { DownloadRun, downloadStream, type DownloadOptions, type DownloadStream } from './download.js';

export interface UploadOptions extends TransferOptions {
  /** The workspace to upload into. */
  workspace: string;
  /** The folder id; default `root`. */
  folder?: string;
  /** The file name; default the File's name or the path's base name (required for other sources). */
  name?: string;
  /**
   * Ask the server's `GET /upload/limits/` first and narrow the plan to its
   * answer (chunk size and bounds, file size, chunk and in-flight maximums),
   * starting from the options given. When the server does not answer, the
   * options given are used as they are.
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

  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    this.#config = clientConfig(options);
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new UsageError('bad-argument', 'no fetch: pass options.fetch');
    this.#fetch = f.bind(globalThis) as typeof fetch;
  }

  get baseUrl(): string {
    return this.#config.baseUrl;
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
    const req = coreRequest(core, this.#config, call);
    const idempotent = idempotentWith(core, call);
    const resp = await send(this.#fetch, req, options.signal);
    return decodeWith(core, resp, {
      idempotent,
      maxBodyBytes: this.#options.maxResponseBytes,
    }) as T;
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
      const planned = options.serverLimits ? await this.#narrowToServer(options, workspace, folder) : options;
      return await runUpload(core, this.#config, this.#fetch, src, { kind: 'new', name, workspace, folder }, planned);
    } finally {
      await src.close().catch(() => undefined);
    }
  }

  /** `options` narrowed to the server's `/upload/limits/` answer for this folder. */
  async #narrowToServer(options: UploadOptions, workspace: string, folder: string): Promise<UploadOptions> {
    let limits: unknown;
    try {
      limits = await this.call(
        { upload: { op: 'limits', action: 'create', instance_id: workspace, folder_id: folder } },
        { signal: options.signal },
      );
    } catch (e) {
      // No answer, or a refusal: plan with what was given (the upload
      // itself reports a server that cannot be reached).
      if (e instanceof ApiError || e instanceof TransportError) return options;
      throw e;
    }
    const n = await applyLimits(limits, {
      singleRequestMax: options.singleRequestMax,
      chunkSize: options.chunkSize,
      maxChunks: options.maxChunks,
      maxFileSize: options.maxFileSize,
      maxInFlight: options.parallel,
    });
    return {
      ...options,
      singleRequestMax: n.singleRequestMax,
      chunkSize: n.chunkSize,
      maxChunks: n.maxChunks,
      maxFileSize: n.maxFileSize,
      parallel: n.maxInFlight,
    };
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
      return await runUpload(core, this.#config, this.#fetch, src, { kind: 'resume', token }, options);
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
    return downloadStream(new DownloadRun(() => loadCore(), this.#config, this.#fetch, node, options));
  }
}

export function createClient(options: ClientOptions = {}): FastioClient {
  return new FastioClient(options);
}
