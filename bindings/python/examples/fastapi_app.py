"""A FastAPI app in front of Fast.io: an upload endpoint that streams the
request body to a workspace, and a webhook receiver that verifies the raw body.

Run: ``pip install 'fastio-core[aio]' fastapi uvicorn`` then
``FASTIO_API_KEY=... FASTIO_WORKSPACE=... FASTIO_WEBHOOK_SECRET=...
UPLOAD_TOKEN=... uvicorn fastapi_app:app`` (``FASTIO_API_BASE`` for a server
other than the real service).

    PUT  /upload/{name}     the body is stored as that file (Authorization: Bearer <UPLOAD_TOKEN>)
    POST /webhooks/fastio   a signed Fast.io delivery
"""

from __future__ import annotations

import hmac
import os
import tempfile
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict

from fastapi import FastAPI, HTTPException, Request

from fastio_core import DEFAULT_BASE_URL, FastioError, ReplayGuard, parse_webhook_event, verify_webhook
from fastio_core.aio import AsyncClient

# Bodies up to this size stay in memory while they arrive; larger ones spill
# to a temporary file, so an upload of any size holds a bounded amount.
SPOOL_BYTES = 8 << 20
MAX_WEBHOOK_BODY = 1 << 20


def create_app(
    api_key: str, workspace: str, webhook_secret: str, upload_token: str, base_url: str = DEFAULT_BASE_URL
) -> FastAPI:
    fastio = AsyncClient(api_key, base_url=base_url)
    seen = ReplayGuard(600, 10_000)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await fastio.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.put("/upload/{name}", status_code=201)
    async def upload(name: str, request: Request) -> Dict[str, Any]:
        presented = request.headers.get("authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {upload_token}".encode()):
            raise HTTPException(401, "unauthorized")
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            async for piece in request.stream():
                body.write(piece)
            body.seek(0)
            try:
                done = await fastio.upload(body, workspace=workspace, name=name)
            except FastioError.Api as e:
                raise HTTPException(502, e.kind) from e
        return {"node": done.node_id, "size": done.size, "crc32c": done.crc32c}

    @app.post("/webhooks/fastio")
    async def webhook(request: Request) -> Dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_WEBHOOK_BODY:
            raise HTTPException(413, "too large")
        try:
            delivery = verify_webhook(request.headers, raw, webhook_secret)
        except FastioError.Webhook as e:
            raise HTTPException(401, e.kind) from e
        # A redelivery carries the id of the first: answered, not acted on twice.
        delivery_id = delivery.id or request.headers.get("x-fastio-delivery-id")
        if delivery_id and not seen.check(delivery_id, delivery.timestamp or int(time.time())):
            return {"duplicate": delivery_id}
        return {"event": parse_webhook_event(raw).name}

    return app


if os.environ.get("FASTIO_API_KEY"):
    app = create_app(
        os.environ["FASTIO_API_KEY"],
        os.environ["FASTIO_WORKSPACE"],
        os.environ["FASTIO_WEBHOOK_SECRET"],
        os.environ["UPLOAD_TOKEN"],
        os.environ.get("FASTIO_API_BASE", DEFAULT_BASE_URL),
    )
