// Drives the core's upload machine with fetch. The machine decides every
// request, chunk, retry, wait and when the resume token is saved; this loop
// only carries out its actions one at a time: sends (several in flight at
// once), reads from the source, timers, the token to persist, and progress.

import type { ClientConfig, HttpResponse } from '../component/interfaces/fastio-core-types.js';
import type {
  HashAlgo,
  InputError,
  Progress,
  StoredCheck as WitStoredCheck,
  UploadError as WitUploadError,
  UploadOptions as WitUploadOptions,
  UploadSession,
} from '../component/interfaces/fastio-core-uploads.js';
import { dispose, type Core } from './core.js';
import { UploadError, UsageError, payloadOf, transferFields } from './errors.js';
import { algo } from './hashing.js';
import { Inbox } from './inbox.js';
import { describe, headerList, plainRequest, readBody, RESPONSE_READ_LIMIT, send } from './http.js';
import type { Source, StreamSource } from './source.js';
import { toNumber, toNumberOpt, toU64 } from './u64.js';

export interface UploadProgress {
  bytesAcked: number;
  bytesTotal: number | undefined;
  chunksAcked: number;
  chunksTotal: number;
}

export interface UploadResult {
  uploadId: string | undefined;
  /** The stored file's node id. */
  nodeId: string | undefined;
  size: number;
  /** Whole-file CRC32C, 8 lowercase hex digits (what the server checks). */
  crc32c: string;
  /**
   * The whole-file digest asked for with `digest` (or `verifyStored`), when
   * every byte went through it; absent otherwise — after a resume from a
   * token that did not carry its state it is missing, never made up.
   */
  digest?: { algo: DigestAlgo; hex: string };
  /** The end-to-end check against the stored node (`verifyStored`). */
  stored: StoredCheck;
}

/** A whole-file digest algorithm, as the server names it. */
export type DigestAlgo = HashAlgo;

/**
 * What the check of the stored node found: `not-asked`; `matched` (its hash
 * equals the digest of the bytes read); `unavailable` with the reason (no
 * digest computed, no hash or one in another algorithm on the node, details
 * unreadable). A node whose hash differs rejects the upload with an
 * `UploadError` of kind `integrity`.
 */
export type StoredCheck =
  | { check: 'not-asked' }
  | { check: 'matched' }
  | { check: 'unavailable'; reason: string };

/** Options shared by a new upload and a resumed one. */
export interface TransferOptions {
  /** Chunk requests in flight at once (default: the core's, `defaults().parallel`). */
  parallel?: number;
  /** Chunk size in bytes (the core's default is 4 MiB). */
  chunkSize?: number;
  /** A request with no answer after this long fails and is retried (ms). */
  requestTimeoutMs?: number;
  /** Files up to this size go up in a single request (the core's default is 4 MB). */
  singleRequestMax?: number;
  /**
   * For a ReadableStream source (unknown size): the most bytes it may carry,
   * announced to the server and enforced while it streams.
   */
  streamMaxSize?: number;
  /**
   * Refuse (before any request) a file that needs more chunks than this; the
   * core's ceiling of 2^20 chunks applies when unset or larger.
   */
  maxChunks?: number;
  /** Refuse (before any request) a file, or a `streamMaxSize`, larger than this. */
  maxFileSize?: number;
  /**
   * Compute this whole-file digest and report it in the result. None by
   * default: the server checks the CRC32C, always computed, and another
   * digest costs CPU on every byte.
   */
  digest?: DigestAlgo;
  /**
   * After storing, compare the stored node's hash with the digest of the
   * bytes read (in `digest`, else MD5, the algorithm the service stores).
   */
  verifyStored?: boolean;
  onProgress?: (p: UploadProgress) => void;
  /**
   * Called with the resume token whenever the core says it must be saved
   * (chunked uploads only): as soon as the session exists, then at most once
   * a second while chunks are acknowledged, and at once when every chunk is
   * in. Save it durably, replacing the one saved before, to continue after a
   * crash with `resume`; a returned promise is awaited before the upload goes
   * on. A token saved a moment ago misses the latest chunks, which `resume`
   * finds on the server anyway.
   */
  onResumeToken?: (token: string) => void | Promise<void>;
  /**
   * Called once the file is stored, before the upload resolves, when
   * `onResumeToken` was given: the token saved last is obsolete; delete it.
   */
  onResumeTokenObsolete?: () => void | Promise<void>;
  /** Stops the upload; it rejects with an `UploadError` of kind `aborted` carrying the resume token. */
  signal?: AbortSignal;
}

export type Start =
  | { kind: 'new'; name: string; workspace: string; folder: string }
  | { kind: 'resume'; token: string };

type Event =
  | { kind: 'response'; id: bigint; response: HttpResponse }
  | { kind: 'transport'; id: bigint; message: string }
  | { kind: 'source-error'; error: unknown }
  | { kind: 'poke' }
  | { kind: 'abort' };

function witOptions(o: TransferOptions & { fetchLimits?: boolean }, keepsChunks: boolean): WitUploadOptions {
  return {
    chunkSize: o.chunkSize === undefined ? undefined : toU64(o.chunkSize, 'chunkSize'),
    parallel: o.parallel === undefined ? undefined : Number(toU64(o.parallel, 'parallel')),
    requestTimeoutMs: o.requestTimeoutMs === undefined ? undefined : toU64(o.requestTimeoutMs, 'requestTimeoutMs'),
    singleRequestMax: o.singleRequestMax === undefined ? undefined : toU64(o.singleRequestMax, 'singleRequestMax'),
    streamMaxSize: o.streamMaxSize === undefined ? undefined : toU64(o.streamMaxSize, 'streamMaxSize'),
    maxChunks: o.maxChunks === undefined ? undefined : toU64(o.maxChunks, 'maxChunks'),
    maxFileSize: o.maxFileSize === undefined ? undefined : toU64(o.maxFileSize, 'maxFileSize'),
    seed: undefined,
    fetchLimits: o.fetchLimits,
    // The core hands out tokens to save only when the caller keeps them.
    persistToken: o.onResumeToken !== undefined,
    fileDigest: o.digest === undefined ? undefined : algo(o.digest),
    verifyStored: o.verifyStored,
    // This driver reads the chunks, so it keeps them and writes them into
    // their requests: the bytes go into the component once and never back out.
    hostKeepsChunks: keepsChunks,
  };
}

function storedOf(s: WitStoredCheck): StoredCheck {
  switch (s.tag) {
    case 'matched':
      return { check: 'matched' };
    case 'unavailable':
      return { check: 'unavailable', reason: s.val };
    default:
      return { check: 'not-asked' };
  }
}

function progressOf(p: Progress): UploadProgress {
  return {
    bytesAcked: toNumber(p.bytesAcked),
    bytesTotal: toNumberOpt(p.bytesTotal),
    chunksAcked: toNumber(p.chunksAcked),
    chunksTotal: toNumber(p.chunksTotal),
  };
}

function failure(e: WitUploadError, resumeToken?: string): UploadError {
  return new UploadError({ ...transferFields(e), resumeToken });
}

/**
 * Feeds an input to the machine. A late answer to a request it gave up on
 * comes back `ignored` and needs nothing; a refusal means this driver broke
 * the protocol, reported as a typed error rather than the component's.
 */
function feed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    const p = payloadOf<InputError>(e);
    throw new UploadError({ kind: 'other', message: `the upload machine refused an input (${p.tag})` });
  }
}

export async function runUpload(
  core: Core,
  config: ClientConfig,
  fetchFn: typeof fetch,
  source: Source,
  start: Start,
  options: TransferOptions & { fetchLimits?: boolean },
): Promise<UploadResult> {
  const UploadSessionClass = core.uploads.UploadSession;
  let session: UploadSession;
  try {
    session =
      start.kind === 'new'
        ? UploadSessionClass.create(
            config,
            {
              name: start.name,
              size: source.kind === 'sized' ? BigInt(source.size) : undefined,
              workspace: start.workspace,
              folder: start.folder,
            },
            witOptions(options, source.kind === 'sized'),
          )
        : UploadSessionClass.resume(config, start.token, witOptions(options, source.kind === 'sized'));
  } catch (e) {
    throw failure(payloadOf<WitUploadError>(e));
  }
  const run = new Run(session, fetchFn, source, options);
  try {
    return await run.drive();
  } finally {
    run.stop();
    dispose(session);
  }
}

class Run {
  private readonly inbox = new Inbox<Event>();
  private readonly started = performance.now();
  private readonly inFlight = new Map<bigint, AbortController>();
  private streamSent = false;
  private streamReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Set when the stream source failed: that, not the send, ends the upload. */
  private sourceError: unknown;
  /** Chunks read and not yet sent, by offset (`hostKeepsChunks`); a chunk sent again is read again. */
  private readonly kept = new Map<number, Uint8Array>();
  private readonly onAbort = () => this.inbox.push({ kind: 'abort' });

  constructor(
    private readonly session: UploadSession,
    private readonly fetchFn: typeof fetch,
    private readonly source: Source,
    private readonly options: TransferOptions,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private now(): bigint {
    return BigInt(Math.floor(performance.now() - this.started));
  }

  /** Ends everything still running: fetches, the stream reader, the abort listener (the caller closes the source). */
  stop(): void {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
    this.streamReader?.cancel().catch(() => undefined);
  }

  private aborted(): UploadError {
    return new UploadError({
      kind: 'aborted',
      message: 'the upload was aborted',
      cause: this.options.signal?.reason,
      resumeToken: this.session.snapshot(),
    });
  }

  async drive(): Promise<UploadResult> {
    for (;;) {
      if (this.options.signal?.aborted) throw this.aborted();
      const a = this.session.nextAction(this.now());
      switch (a?.tag) {
        case 'send':
          this.startSend(a.val.id, a.val.request);
          break;
        case 'read':
          await this.read(a.val.id, toNumber(a.val.offset), toNumber(a.val.len));
          break;
        case 'persist':
          await this.options.onResumeToken?.(a.val);
          break;
        case 'progress':
          this.options.onProgress?.(progressOf(a.val));
          break;
        case 'done':
          // The token saved last is obsolete once the file is stored.
          if (this.options.onResumeToken) await this.options.onResumeTokenObsolete?.();
          return {
            uploadId: a.val.uploadId,
            nodeId: a.val.nodeId,
            size: toNumber(a.val.size),
            crc32c: a.val.crc32c,
            ...(a.val.digest ? { digest: { algo: a.val.digest.algo, hex: a.val.digest.hex } } : {}),
            stored: storedOf(a.val.stored),
          };
        case 'failed':
          throw failure(a.val);
        case 'wait':
          await this.receive(a.val);
          break;
        case undefined:
          await this.receive(undefined);
          break;
      }
    }
  }

  /** Waits for one input, or until `until`, and feeds it to the machine. */
  private async receive(until: bigint | undefined): Promise<void> {
    if (until === undefined && this.inFlight.size === 0) {
      // Nothing outstanding and no timer: no input will ever come.
      throw new UploadError({ kind: 'other', message: 'the upload machine waits on an input that never comes' });
    }
    const ev = await this.inbox.next(until === undefined ? undefined : Number(until - this.now()));
    const now = this.now();
    switch (ev?.kind) {
      case undefined:
        this.session.onTimeout(now);
        break;
      case 'response':
        this.inFlight.delete(ev.id);
        feed(() => this.session.onResponse(ev.id, ev.response, now));
        break;
      case 'transport':
        this.inFlight.delete(ev.id);
        feed(() => this.session.onTransportError(ev.id, ev.message, now));
        break;
      case 'source-error':
        throw new UploadError({ kind: 'source', message: 'the upload source could not be read', cause: ev.error });
      case 'abort':
        throw this.aborted();
      case 'poke':
        break;
    }
  }

  private async read(id: bigint, offset: number, len: number): Promise<void> {
    if (this.source.kind !== 'sized') {
      throw new UploadError({ kind: 'other', message: 'the core asked to read a stream source at an offset' });
    }
    let data: Uint8Array;
    try {
      data = await this.source.read(offset, len);
    } catch (e) {
      throw new UploadError({ kind: 'source', message: 'the upload source could not be read', cause: e });
    }
    feed(() => this.session.onData(id, data, this.now()));
    // Taken out when its request is sent; the machine holds no more chunks
    // read and unsent than it keeps in flight, so neither does this map.
    this.kept.set(offset, data);
  }

  /**
   * The request with each `source` segment replaced by the bytes kept for
   * it, or read again; `used` lists those bytes, to hand back to the source
   * once the request succeeded.
   */
  private async withSource(
    request: Parameters<typeof plainRequest>[0],
    used: Uint8Array[],
  ): Promise<Parameters<typeof plainRequest>[0]> {
    if (!request.body.some((s) => s.tag === 'source')) return request;
    const body: typeof request.body = [];
    for (const seg of request.body) {
      if (seg.tag !== 'source') {
        body.push(seg);
        continue;
      }
      const offset = toNumber(seg.val.offset);
      const len = toNumber(seg.val.len);
      let data = this.kept.get(offset);
      this.kept.delete(offset);
      if (data === undefined || data.byteLength !== len) {
        if (this.source.kind !== 'sized') throw new UploadError({ kind: 'other', message: 'source bytes of a stream' });
        data = await this.source.read(offset, len);
        if (data.byteLength !== len) {
          throw new UploadError({ kind: 'source', message: `the source has ${data.byteLength} of ${len} bytes at ${offset}` });
        }
      }
      used.push(data);
      body.push({ tag: 'bytes', val: data });
    }
    return { ...request, body };
  }

  private startSend(id: bigint, request: Parameters<typeof plainRequest>[0]): void {
    const ctl = new AbortController();
    this.inFlight.set(id, ctl);
    const done = (r: Promise<HttpResponse>) =>
      r.then(
        (response) => this.inbox.push({ kind: 'response', id, response }),
        (e: unknown) => this.inbox.push({ kind: 'transport', id, message: describe(e) }),
      );
    if (request.contentLength !== undefined) {
      const used: Uint8Array[] = [];
      const source = this.source;
      done(
        this.withSource(request, used)
          .then((r) => send(this.fetchFn, r, ctl.signal))
          .then((response) => {
            // A success means the server read the whole body: nothing
            // still writes from these bytes. After a failure they may be
            // mid-write, so they are left to the garbage collector.
            if (response.status >= 200 && response.status < 300 && source.kind === 'sized') {
              for (const data of used) source.release?.(data);
            }
            return response;
          }),
      );
      return;
    }
    // A body of unknown length: the source streams through, each piece
    // handed to the machine (which hashes it) as it goes out.
    if (this.source.kind !== 'stream') {
      this.inbox.push({ kind: 'transport', id, message: 'a streamed body needs a stream source' });
      return;
    }
    if (this.streamSent) {
      const error = new UsageError('stream-consumed', 'a ReadableStream source cannot be sent twice; upload it again');
      this.inbox.push({ kind: 'source-error', error });
      return;
    }
    this.streamSent = true;
    this.sendStream(id, request, this.source, ctl.signal).then(
      (response) => this.inbox.push({ kind: 'response', id, response }),
      (e: unknown) =>
        this.inbox.push(
          this.sourceError !== undefined
            ? { kind: 'source-error', error: this.sourceError }
            : { kind: 'transport', id, message: describe(e) },
        ),
    );
  }

  private async sendStream(
    id: bigint,
    request: Parameters<typeof plainRequest>[0],
    source: StreamSource,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const reader = source.stream.getReader();
    this.streamReader = reader;
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          if (!(value instanceof Uint8Array)) {
            throw new UsageError('bad-source', 'a ReadableStream source must yield Uint8Array chunks');
          }
          feed(() => this.session.onData(id, value, this.now()));
          controller.enqueue(value);
          this.inbox.push({ kind: 'poke' });
        } catch (e) {
          this.sourceError = e;
          controller.error(e);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const plain = plainRequest({ ...request, body: [] });
    const init: RequestInit & { duplex: 'half' } = {
      method: plain.method,
      headers: plain.headers,
      body,
      signal,
      // Required by the fetch standard for a streamed request body.
      duplex: 'half',
      // As in toFetchRequest: the core decides about redirects.
      redirect: 'manual',
    };
    const res = await this.fetchFn(plain.url, init);
    return {
      status: res.status,
      headers: headerList(res.headers),
      body: await readBody(res.body, RESPONSE_READ_LIMIT),
    };
  }
}
