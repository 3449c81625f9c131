"""Printing what the core hands back never shows a credential."""

from __future__ import annotations

import json

import fastio_core as fc

TOKEN = "sk-live-0123456789abcdef"


def _request() -> fc.Request:
    client = fc.CoreClient.from_config_json(
        json.dumps({"base_url": "https://api.fast.io/current/", "credential": {"kind": "api_key", "value": TOKEN}})
    )
    return client.build(json.dumps({"orgs": {"op": "list_workspaces", "org_id": "3000000000000000001"}}))


def test_request_str_and_repr_hide_the_bearer() -> None:
    req = _request()
    auth = [h for h in req.headers if h.name.lower() == "authorization"]
    assert auth and TOKEN in auth[0].value, "the header itself must still carry the token"
    for text in (str(req), repr(req), str(req.headers), str(auth[0]), repr(auth[0])):
        assert TOKEN not in text
        assert "authorization" in text.lower()
    assert "[redacted]" in str(auth[0])


def test_plain_headers_stay_readable() -> None:
    h = fc.Header(name="Content-Type", value="application/json")
    assert str(h) == "Content-Type: application/json"


def test_response_cookies_are_hidden() -> None:
    r = fc.Response(status=200, headers=[fc.Header(name="Set-Cookie", value="session=" + TOKEN)], body=b"{}")
    assert TOKEN not in str(r) and TOKEN not in repr(r)
    assert "200" in str(r)


def test_core_client_repr_hides_the_key() -> None:
    client = fc.CoreClient("https://api.fast.io/current/", TOKEN, None)
    assert TOKEN not in repr(client) and TOKEN not in str(client)
