// A module-style fetch handler (Cloudflare Workers, Deno, Bun, any runtime
// with `export default { fetch }`): an upload gateway in front of Fast.io and
// a webhook receiver.
//
//   PUT  /upload/<name>     the body streams to Fast.io (Authorization: Bearer <UPLOAD_TOKEN>)
//   POST /webhooks/fastio   a signed Fast.io delivery

import { createClient, parseEvent, UploadError, UsageError, verifyWebhook, WebhookError } from 'fastio-core';

export interface Env {
  FASTIO_API_KEY: string;
  FASTIO_WORKSPACE: string;
  FASTIO_BASE_URL?: string;
  FASTIO_WEBHOOK_SECRET: string;
  /** What clients of this gateway present; the Fast.io key never leaves the gateway. */
  UPLOAD_TOKEN: string;
}

const utf8 = new TextEncoder();

// Compares without an early exit, so the time taken says nothing about the token.
function sameSecret(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

async function upload(request: Request, env: Env, name: string): Promise<Response> {
  const auth = request.headers.get('authorization') ?? '';
  if (!env.UPLOAD_TOKEN || !sameSecret(auth, `Bearer ${env.UPLOAD_TOKEN}`)) {
    return new Response('unauthorized', { status: 401 });
  }
  if (!name || !request.body) return new Response('send the file as the body', { status: 400 });
  const fastio = createClient({ apiKey: env.FASTIO_API_KEY, baseUrl: env.FASTIO_BASE_URL });
  try {
    const done = await fastio.upload(request.body, { workspace: env.FASTIO_WORKSPACE, name, signal: request.signal });
    return Response.json({ node: done.nodeId, size: done.size, crc32c: done.crc32c }, { status: 201 });
  } catch (e) {
    if (e instanceof UsageError) return Response.json({ error: e.code }, { status: 400 });
    if (e instanceof UploadError) return Response.json({ error: e.kind, message: e.message }, { status: 502 });
    throw e;
  }
}

async function webhook(request: Request, env: Env): Promise<Response> {
  try {
    const delivery = await verifyWebhook(request, { scheme: 'fastio', secrets: env.FASTIO_WEBHOOK_SECRET, tolerance: 300 });
    const event = await parseEvent(delivery.body);
    return Response.json({ event }, { status: 200 });
  } catch (e) {
    if (e instanceof WebhookError) {
      // A refused secret or scheme is this gateway's misconfiguration, not the sender's fault.
      const setup = e.kind === 'invalid_secret' || e.kind === 'invalid_scheme';
      return Response.json({ error: e.kind, hint: e.hint }, { status: setup ? 500 : 401 });
    }
    if (e instanceof UsageError) return Response.json({ error: e.code }, { status: 400 });
    throw e;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'PUT' && url.pathname.startsWith('/upload/')) {
      return upload(request, env, decodeURIComponent(url.pathname.slice('/upload/'.length)));
    }
    if (request.method === 'POST' && url.pathname === '/webhooks/fastio') return webhook(request, env);
    return new Response('not found', { status: 404 });
  },
};
