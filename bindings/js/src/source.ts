// What an upload reads from: a Blob or File, a ReadableStream of unknown
// length, or (in Node) a file path.

import { UsageError } from './errors.js';
import { isNode } from './runtime.js';

export type UploadSource = Blob | ReadableStream<Uint8Array> | string | URL;

/** A source of known size, read at any offset. */
export interface SizedSource {
  kind: 'sized';
  size: number;
  /** A name the source carries (File.name, the path's base name). */
  name: string | undefined;
  read(offset: number, len: number): Promise<Uint8Array>;
  /**
   * Hands back bytes `read` returned, once nothing uses them any more (their
   * request was answered with success), to be filled again by a later read.
   */
  release?(data: Uint8Array): void;
  close(): Promise<void>;
}

/** A source read once, front to back, of unknown length. */
export interface StreamSource {
  kind: 'stream';
  stream: ReadableStream<Uint8Array>;
  name: undefined;
  close(): Promise<void>;
}

export type Source = SizedSource | StreamSource;

function blobSource(blob: Blob): SizedSource {
  const name = typeof (blob as File).name === 'string' && (blob as File).name !== '' ? (blob as File).name : undefined;
  return {
    kind: 'sized',
    size: blob.size,
    name,
    async read(offset, len) {
      return new Uint8Array(await blob.slice(offset, offset + len).arrayBuffer());
    },
    async close() {},
  };
}

/** Chunk buffers a file source keeps for reuse. */
const SPARE_BUFFERS = 4;

async function fileSource(path: string | URL): Promise<SizedSource> {
  if (!isNode()) {
    throw new UsageError('bad-source', 'file paths are read only in Node; pass a Blob or a ReadableStream');
  }
  const fs = await import('node:fs/promises');
  const { basename } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const p = path instanceof URL ? fileURLToPath(path) : path;
  const handle = await fs.open(p, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UsageError('bad-source', 'the upload source path is not a regular file');
    // Chunk buffers come back when their request succeeded and are read
    // into again: allocating 4 MiB per chunk kept the garbage collector busy
    // for half a second per GiB. The upload machine holds at most its
    // requests in flight plus one chunk, so a few buffers suffice.
    const spare: Uint8Array[] = [];
    return {
      kind: 'sized',
      size: st.size,
      name: basename(p),
      async read(offset, len) {
        const i = spare.findIndex((b) => b.byteLength === len);
        // Not zero-filled: every byte is overwritten, and fewer bytes read
        // are cut off below.
        const buf = i >= 0 ? spare.splice(i, 1)[0] : Buffer.allocUnsafeSlow(len);
        let got = 0;
        while (got < len) {
          const { bytesRead } = await handle.read(buf, got, len - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        // Fewer bytes than asked tell the core the file shrank.
        return got === len ? buf : buf.subarray(0, got);
      },
      release(data) {
        if (spare.length < SPARE_BUFFERS && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
          spare.push(data);
        }
      },
      async close() {
        await handle.close();
      },
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Opens what the caller passed as an upload source. */
export async function openSource(source: unknown): Promise<Source> {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return blobSource(source);
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    if (source.locked) throw new UsageError('stream-locked', 'the upload stream is locked (already being read)');
    const stream = source as ReadableStream<Uint8Array>;
    return {
      kind: 'stream',
      stream,
      name: undefined,
      async close() {},
    };
  }
  if (typeof source === 'string' || source instanceof URL) return fileSource(source);
  throw new UsageError('bad-source', 'an upload source is a Blob, File, ReadableStream or (in Node) a file path');
}
