// A fake of Fast.io's upload endpoints as a `fetch` function, for driving the
// upload machine without a network: it parses what the core sends and
// answers as the API reference documents.

const ok = (v) =>
  new Response(JSON.stringify({ result: true, response: v }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
const err = (status, code, text) =>
  new Response(JSON.stringify({ result: false, error: { code, text } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** Bitwise CRC32C, independent of the core. */
export function crc32c(data) {
  let crc = ~0 >>> 0;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ((~crc) >>> 0).toString(16).padStart(8, '0');
}

/** The file part of a multipart body. */
async function filePart(req) {
  const form = await req.formData();
  for (const [, v] of form) if (typeof v !== 'string') return new Uint8Array(await v.arrayBuffer());
  return undefined;
}

export class FakeUploadServer {
  constructor(base) {
    this.base = base;
    this.sessions = new Map();
    this.chunkPosts = [];
    this.requests = [];
    this.nextId = 0;
    this.fetch = (input, init) => this.handle(new Request(input, init));
  }

  /** A session the server already holds (for resuming). */
  addSession(id, s) {
    this.sessions.set(id, { chunks: new Map(), status: 'uploading', ...s });
  }

  async handle(req) {
    const url = new URL(req.url);
    if (!url.href.startsWith(this.base)) return err(404, 9992, 'not under the base URL');
    const segs = url.href.slice(this.base.length).split('?')[0].replace(/\/$/, '').split('/');
    const q = url.searchParams;
    this.requests.push(`${req.method} ${segs.join('/')}`);
    const s = this.sessions.get(segs[1]);
    if (req.method === 'POST' && segs.length === 1 && segs[0] === 'upload') {
      const id = `up${++this.nextId}`;
      this.sessions.set(id, { chunks: new Map(), status: 'ready' });
      return ok({ id });
    }
    if (segs[0] !== 'upload' || !s) return err(404, 10508, 'upload not found');
    if (req.method === 'GET' && segs[2] === 'chunk') {
      return ok({ chunks: Object.fromEntries([...s.chunks].map(([o, d]) => [String(o), d.length])) });
    }
    if (req.method === 'POST' && segs[2] === 'chunk') {
      const order = Number(q.get('order'));
      const data = await filePart(req);
      if (!data || data.length !== Number(q.get('size'))) return err(400, 1605, 'bad size');
      if (q.get('hash_algo') === 'crc32c' && q.get('hash') !== crc32c(data)) return err(406, 10778, 'chunk CRC32C mismatch');
      if (q.get('file_crc32c')) s.fileCrc32c = q.get('file_crc32c');
      s.chunks.set(order, data);
      this.chunkPosts.push(order);
      return ok({});
    }
    if (req.method === 'POST' && segs[2] === 'complete') {
      const all = Buffer.concat([...s.chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d));
      s.status = crc32c(all) === s.fileCrc32c ? 'stored' : 'assembly_failed';
      s.stored = all;
      return ok({});
    }
    if (req.method === 'GET' && segs[2] === 'details') {
      const session = { id: segs[1], status: s.status };
      if (s.status === 'stored') session.new_file_id = `node-${segs[1]}`;
      return ok({ session });
    }
    return err(404, 9992, 'route not found');
  }
}
