"""The example receiver, fed a real signed delivery by the devserver."""

from __future__ import annotations

import pathlib
import queue
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

import fastio_core as fc
from fastio_core import Client

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
from webhook_receiver import make_server  # noqa: E402


def test_devserver_delivery_is_verified(devserver: Any, tmp_path: pathlib.Path) -> None:
    client = Client(devserver.api_key, base_url=devserver.base_url)
    found = client.call({"orgs": {"op": "all_workspaces"}})
    ws = str((found.get("workspaces") if isinstance(found, dict) else found)[0]["id"])
    events: "queue.Queue[Any]" = queue.Queue()

    # The secret is only known once the subscription exists; the receiver
    # reads it through this indirection.
    srv = make_server("placeholder", on_event=lambda d, e: events.put((d, e)))
    port = srv.server_address[1]
    sub = client.call({"subscriptions": {"op": "create", "workspace_id": ws, "target_url": f"http://127.0.0.1:{port}/hook", "event_type_subscriptions": ["workspace_storage_file_added"], "description": "test"}})
    secret = (sub.get("outbound_webhook_subscription") or sub)["secret"]
    srv.server_close()
    srv = make_server(secret, port, on_event=lambda d, e: events.put((d, e)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        f = tmp_path / "hooked.txt"
        f.write_text("hello")
        up = client.upload(f, workspace=ws)
        delivery, event = events.get(timeout=30)
        assert delivery.scheme == "fastio" and delivery.secret_index == 0
        assert event.name == "workspace_storage_file_added"
        assert event.workspace_id == ws
        # A forged delivery is refused with a stable kind.
        req = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=b'{"event":"x"}', headers={"x-fastio-signature": "00" * 32}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as ei:
            urllib.request.urlopen(req, timeout=10)
        assert ei.value.code == 401
        assert b"no_matching_signature" in ei.value.read()
        assert up.node_id
    finally:
        srv.shutdown()
        srv.server_close()


def test_verify_webhook_accepts_dict_headers_and_refuses_tampering() -> None:
    signer = fc.WebhookSigner(fc.WebhookScheme.STANDARD_WEBHOOKS(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"event":"workspace_storage_file_added","workspace_id":"1"}'
    headers = {h.name: h.value for h in signer.sign("msg_1", 1_700_000_000, body)}
    d = fc.verify_webhook(headers, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", scheme="standard-webhooks", now=1_700_000_010)
    assert d.id == "msg_1" and d.timestamp == 1_700_000_000
    with pytest.raises(fc.FastioError.Webhook) as ei:
        fc.verify_webhook(headers, body + b" ", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", scheme="standard-webhooks", now=1_700_000_010)
    assert ei.value.kind == "no_matching_signature"
    with pytest.raises(fc.FastioError.Webhook) as ei:
        fc.verify_webhook(headers, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", scheme="standard-webhooks", now=1_700_100_000)
    assert ei.value.kind == "timestamp_too_old"
    assert "MfKQ9r8" not in repr(ei.value)


def test_scheme_names_are_the_cores() -> None:
    """`verify_webhook(scheme="…")` reads names through the core's one table:
    every stable name gives its scheme, anything else is refused with the
    names the core knows."""
    named = {
        "fastio": fc.WebhookScheme.FASTIO(),
        "fastio-timestamped": fc.WebhookScheme.FASTIO_TIMESTAMPED(),
        "standard-webhooks": fc.WebhookScheme.STANDARD_WEBHOOKS(),
        "github": fc.WebhookScheme.GIT_HUB(),
        "stripe": fc.WebhookScheme.STRIPE(),
        "shopify": fc.WebhookScheme.SHOPIFY(),
    }
    for name, scheme in named.items():
        assert fc.webhook_scheme_named(name) == scheme, name
    assert isinstance(fc.webhook_scheme_named("fastio-timestamped-hex"), fc.WebhookScheme.FASTIO_TIMESTAMPED_HEX)
    for bad in ("custom", "Stripe", "nope", ""):
        with pytest.raises(fc.FastioError.Webhook) as ei:
            fc.verify_webhook({}, b"{}", "s", scheme=bad)
        assert ei.value.kind == "invalid_scheme", bad
