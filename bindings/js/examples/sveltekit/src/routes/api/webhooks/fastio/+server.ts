// SvelteKit webhook route: verifies a Fast.io delivery on its raw body before
// anything reads it, drops replays, and acknowledges with 204.

import { env } from '$env/dynamic/private';
import { parseEvent, ReplayGuard, UsageError, verifyWebhook, WebhookError } from 'fastio-core';

// Delivery ids seen in the last 10 minutes (a retry of an acknowledged
// delivery is dropped). Made on first use, so importing the route loads nothing.
let seen: Promise<ReplayGuard> | undefined;
const replayGuard = () => (seen ??= ReplayGuard.create(600, 10_000));

export async function POST({ request }: { request: Request }): Promise<Response> {
  try {
    const delivery = await verifyWebhook(request, {
      scheme: 'fastio',
      // The previous secret keeps working while a rotation is rolled out.
      secrets: [env.FASTIO_WEBHOOK_SECRET ?? '', env.FASTIO_WEBHOOK_SECRET_PREVIOUS].filter(
        (s): s is string => !!s,
      ),
      tolerance: 300,
    });
    const id = delivery.id ?? request.headers.get('x-fastio-delivery-id');
    if (id && (await replayGuard()).check(id) === 'replay') return new Response(null, { status: 204 });
    const event = await parseEvent(delivery.body);
    // Hand the event to the application here (a queue, a database row…).
    return Response.json({ event, id }, { status: 200 });
  } catch (e) {
    if (e instanceof WebhookError) {
      // A refused secret or scheme is this server's misconfiguration, not the sender's fault.
      const setup = e.kind === 'invalid_secret' || e.kind === 'invalid_scheme';
      return Response.json({ error: e.kind, hint: e.hint }, { status: setup ? 500 : 401 });
    }
    if (e instanceof UsageError) return Response.json({ error: e.code }, { status: 400 });
    throw e;
  }
}
