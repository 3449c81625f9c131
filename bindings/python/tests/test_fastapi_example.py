"""examples/fastapi_app.py served in-process (httpx's ASGI transport) against
the devserver: an upload streamed through it, a signed webhook accepted, a
tampered or replayed one refused."""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import time
from typing import Any

import httpx

import fastio_core as fc
from fastio_core import Client

from conftest import workspace_of

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from fastapi_app import create_app  # noqa: E402


def test_the_fastapi_example_uploads_and_verifies(devserver: Any, tmp_path: pathlib.Path) -> None:
    client = Client(devserver.api_key, base_url=devserver.base_url)
    ws = workspace_of(client, "fastapi")
    app = create_app(devserver.api_key, ws, "hook-secret", "upload-token", devserver.base_url)
    data = os.urandom(3_000_000)
    body = b'{"event":"workspace_storage_file_added","workspace_id":"1"}'
    signer = fc.WebhookSigner(fc.webhook_scheme_named("fastio"), "hook-secret")
    signed = {h.name: h.value for h in signer.sign(None, int(time.time()), body)}
    signed["x-fastio-delivery-id"] = "delivery-1"

    async def main() -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            refused = await http.put("/upload/x.bin", content=b"x", headers={"authorization": "Bearer wrong"})
            stored = await http.put("/upload/api.bin", content=data, headers={"authorization": "Bearer upload-token"})
            hook = await http.post("/webhooks/fastio", content=body, headers=signed)
            again = await http.post("/webhooks/fastio", content=body, headers=signed)
            tampered = await http.post("/webhooks/fastio", content=body.replace(b'"1"', b'"2"'), headers=signed)
            return refused, stored, hook, again, tampered

    refused, stored, hook, again, tampered = asyncio.run(main())
    assert refused.status_code == 401
    assert stored.status_code == 201, stored.text
    node = stored.json()["node"]
    assert stored.json()["size"] == len(data)
    client.download(node, tmp_path / "back.bin", workspace=ws)
    assert (tmp_path / "back.bin").read_bytes() == data
    assert hook.status_code == 200 and hook.json() == {"event": "workspace_storage_file_added"}
    assert again.status_code == 200 and again.json() == {"duplicate": "delivery-1"}
    assert tampered.status_code == 401 and tampered.json()["detail"] == "no_matching_signature"
