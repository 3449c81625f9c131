// A verified download as a ReadableStream. The core's download machine asks
// for the node's details, a read token and the file; the file's bytes stream
// through its verifier on their way to the reader. The last piece is held
// back until the machine has checked the whole file, so a reader never sees
// the end of a file that did not verify: the stream errors instead.

import type { ClientConfig, HttpRequest } from '../component/interfaces/fastio-core-types.js';
import type { Download, DownloadAction, InputError } from '../component/interfaces/fastio-core-uploads.js';
import { dispose, type Core } from './core.js';
import { DownloadError, payloadOf, transferFields } from './errors.js';
import { describe, headerList, plainRequest, readBody, RESPONSE_READ_LIMIT, send, toFetchRequest } from './http.js';
import { toNumber, toNumberOpt } from './u64.js';

export interface DownloadOptions {
  /** The workspace holding the node. */
  workspace: string;
  /**
   * Downloads are always verified against the node's hash; `false` is
   * refused because the core has no unverified path.
   */
  verify?: true;
  onProgress?: (p: { bytes: number; total: number | undefined }) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  nodeId: string;
  size: number;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  /** CRC32C of the bytes, 8 lowercase hex digits. */
  crc32c: string;
  /** The server's digest that was checked, as `algo:hex`. */
  checked: string | undefined;
}

/** The file's bytes; `result` settles once the stream has been read to its end. */
export type DownloadStream = ReadableStream<Uint8Array> & { result: Promise<DownloadResult> };

export class DownloadRun {
  private dl: Download | undefined;
  private body: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readId = 0n;
  private held: Uint8Array | undefined;
  private readonly ctl = new AbortController();
  private readonly started = performance.now();
  private settle!: { resolve: (r: DownloadResult) => void; reject: (e: unknown) => void };
  readonly result: Promise<DownloadResult>;
  private finished = false;

  constructor(
    private readonly core: () => Promise<Core>,
    private readonly config: (core: Core) => ClientConfig,
    private readonly fetchFn: typeof fetch,
    private readonly node: string,
    private readonly options: DownloadOptions,
  ) {
    this.result = new Promise<DownloadResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A caller who only reads the stream must not see an unhandled rejection.
    this.result.catch(() => undefined);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => this.ctl.abort(this.options.signal?.reason);

  private now(): bigint {
    return BigInt(Math.floor(performance.now() - this.started));
  }

  private fail(controller: ReadableStreamDefaultController<Uint8Array>, e: unknown): void {
    this.finish();
    controller.error(e);
    this.settle.reject(e);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.body?.cancel().catch(() => undefined);
    this.body = undefined;
    this.ctl.abort();
    dispose(this.dl);
    this.dl = undefined;
  }

  /** Called by the stream when the reader wants data: runs until a piece is queued or the end. */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      if (!this.dl) {
        const core = await this.core();
        this.dl = new core.uploads.Download(this.config(core), { workspace: this.options.workspace, nodeId: this.node }, 0x5eedn);
      }
      await this.step(controller, this.dl);
    } catch (e) {
      if (this.options.signal?.aborted) {
        this.fail(controller, new DownloadError({ kind: 'aborted', message: 'the download was aborted', cause: this.options.signal.reason }));
      } else {
        this.fail(controller, e);
      }
    }
  }

  cancel(reason: unknown): void {
    this.finish();
    this.settle.reject(new DownloadError({ kind: 'aborted', message: 'the download stream was cancelled', cause: reason }));
  }

  private async step(controller: ReadableStreamDefaultController<Uint8Array>, dl: Download): Promise<void> {
    for (;;) {
      if (this.options.signal?.aborted) throw new Error('aborted');
      if (this.body) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await this.body.read();
        } catch (e) {
          this.body = undefined;
          this.feed(() => dl.onTransportError(this.readId, describe(e), this.now()));
          continue;
        }
        if (r.done) {
          this.body = undefined;
          this.feed(() => dl.onEnd(this.readId));
          continue;
        }
        this.feed(() => dl.onData(this.readId, r.value));
        const out = this.held;
        this.held = r.value;
        if (this.drain(controller, dl)) return;
        if (out) {
          controller.enqueue(out);
          return;
        }
        continue;
      }
      const a = dl.nextAction(this.now());
      if (!a) throw new DownloadError({ kind: 'other', message: 'the download machine waits on an input that never comes' });
      if (this.act(controller, a)) return;
      if (a.tag === 'send') await this.send(dl, a.val.id, a.val.request, a.val.streamResponse);
      if (a.tag === 'wait') await this.sleep(Number(a.val - this.now()), dl);
    }
  }

  /** Reports progress while bytes flow; true when the machine ended the download. */
  private drain(controller: ReadableStreamDefaultController<Uint8Array>, dl: Download): boolean {
    for (;;) {
      const a = dl.nextAction(this.now());
      if (!a || a.tag === 'wait') return false;
      if (this.act(controller, a)) return true;
    }
  }

  /** Carries out progress, done and failed; true when the download is over. */
  private act(controller: ReadableStreamDefaultController<Uint8Array>, a: DownloadAction): boolean {
    switch (a.tag) {
      case 'progress':
        this.options.onProgress?.({ bytes: toNumber(a.val.bytes), total: toNumberOpt(a.val.total) });
        return false;
      case 'done': {
        if (this.held) controller.enqueue(this.held);
        this.held = undefined;
        const d = a.val;
        this.finish();
        controller.close();
        this.settle.resolve({
          nodeId: d.nodeId,
          size: toNumber(d.size),
          sha256: d.sha256,
          crc32c: d.crc32c,
          checked: d.checked,
        });
        return true;
      }
      case 'failed':
        this.held = undefined;
        this.fail(controller, new DownloadError(transferFields(a.val)));
        return true;
      default:
        return false;
    }
  }

  /** Feeds an input; a late answer the machine gave up on comes back `ignored`, a refusal is typed. */
  private feed(f: () => unknown): void {
    try {
      f();
    } catch (e) {
      const p = payloadOf<InputError>(e);
      throw new DownloadError({ kind: 'other', message: `the download machine refused an input (${p.tag})` });
    }
  }

  /** `stream`: the machine marked the response as the file itself, to be fed piece by piece. */
  private async send(dl: Download, id: bigint, req: HttpRequest, stream: boolean): Promise<void> {
    if (!stream) {
      try {
        const resp = await send(this.fetchFn, req, this.ctl.signal);
        this.feed(() => dl.onResponse(id, resp, this.now()));
      } catch (e) {
        if (this.ctl.signal.aborted) throw e;
        this.feed(() => dl.onTransportError(id, describe(e), this.now()));
      }
      return;
    }
    let res: Response;
    try {
      res = await this.fetchFn(toFetchRequest(plainRequest(req), this.ctl.signal));
    } catch (e) {
      if (this.ctl.signal.aborted) throw e;
      this.feed(() => dl.onTransportError(id, describe(e), this.now()));
      return;
    }
    const ok = res.status >= 200 && res.status < 300;
    // An error answer is small JSON the machine decodes; a success streams.
    const body = ok ? new Uint8Array(0) : await readBody(res.body, RESPONSE_READ_LIMIT);
    this.feed(() => dl.onResponse(id, { status: res.status, headers: headerList(res.headers), body }, this.now()));
    if (ok && res.body) {
      this.readId = id;
      this.body = res.body.getReader();
    } else if (ok) {
      this.readId = id;
      this.feed(() => dl.onEnd(id));
    }
  }

  private async sleep(ms: number, dl: Download): Promise<void> {
    if (ms > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(ms, 60_000));
        this.ctl.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
    dl.onTimeout(this.now());
  }
}

/** Builds the stream around a run. */
export function downloadStream(run: DownloadRun): DownloadStream {
  const stream = new ReadableStream<Uint8Array>(
    {
      pull: (c) => run.pull(c),
      cancel: (reason) => run.cancel(reason),
    },
    // Nothing is fetched until the stream is read.
    { highWaterMark: 0 },
  ) as DownloadStream;
  stream.result = run.result;
  return stream;
}
