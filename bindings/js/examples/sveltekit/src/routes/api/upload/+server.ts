// SvelteKit upload route: streams the request body to Fast.io without
// buffering it. `PUT /api/upload?name=report.pdf` with the file as the body.
//
// The handler takes SvelteKit's RequestEvent; only `request` is used, so the
// parameter is typed structurally and the file compiles without the kit.

import { env } from '$env/dynamic/private';
import { createClient, UploadError, UsageError } from 'fastio-core';

export async function PUT({ request }: { request: Request }): Promise<Response> {
  // A real app authenticates its user here, before any byte goes to Fast.io.
  const name = new URL(request.url).searchParams.get('name');
  if (!name || !request.body) {
    return Response.json({ error: 'send the file as the body with ?name=' }, { status: 400 });
  }
  const fastio = createClient({ apiKey: env.FASTIO_API_KEY, baseUrl: env.FASTIO_BASE_URL });
  try {
    // A body of unknown length becomes a stream upload; the core hashes it as it passes.
    const done = await fastio.upload(request.body, {
      workspace: env.FASTIO_WORKSPACE ?? '',
      name,
      signal: request.signal,
    });
    return Response.json({ node: done.nodeId, size: done.size, crc32c: done.crc32c }, { status: 201 });
  } catch (e) {
    if (e instanceof UsageError) return Response.json({ error: e.code, message: e.message }, { status: 400 });
    if (e instanceof UploadError) {
      // The message is safe to show: the core never puts credentials in it.
      return Response.json({ error: e.kind, message: e.message }, { status: 502 });
    }
    throw e;
  }
}
