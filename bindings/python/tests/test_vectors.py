"""Every case of tests/vectors, through the wheel."""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any, Dict, List

import pytest

import fastio_core as fc

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "vectors"


def _cases(folder: str) -> List[Any]:
    out = []
    for path in sorted((VECTORS / folder).glob("*.json")):
        doc = json.loads(path.read_text())
        for case in doc.get("cases", []):
            out.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return out


def _load(folder: str, name: str) -> Dict[str, Any]:
    return json.loads((VECTORS / folder / name).read_text())


# ---------------------------------------------------------------- requests
BASE_CONFIG = {
    "base_url": "https://api.fast.io/current/",
    "credential": {"kind": "api_key", "value": "test-api-key"},
    "user_agent": "fastio-core-vectors/1",
}


@pytest.mark.parametrize("case", _cases("requests"))
def test_request_vector(case: Dict[str, Any]) -> None:
    cfg = dict(BASE_CONFIG, **case.get("config", {}))
    client = fc.CoreClient.from_config_json(json.dumps(cfg))
    expect = case["expect"]
    try:
        req = client.build(json.dumps(case["call"]))
    except fc.FastioError.InvalidInput as e:
        assert expect == {"error": e.kind}
        return
    assert "error" not in expect, f"expected {expect}, got a request"
    body = b"".join(
        p.data if isinstance(p, fc.BodyPart.BYTES) else b"x" * p.len for p in req.body
    )
    assert req.content_length == len(body)
    if not body:
        got_body = None
    else:
        try:
            got_body = {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            got_body = {"b64": base64.b64encode(body).decode()}
    got = {
        "method": req.method,
        "url": req.url,
        "headers": [[h.name, h.value] for h in req.headers],
        "body": got_body,
    }
    assert got == expect


# ---------------------------------------------------------------- responses
@pytest.mark.parametrize("case", _cases("responses"))
def test_response_vector(case: Dict[str, Any]) -> None:
    r = case["response"]
    body = base64.b64decode(r["body_b64"]) if "body_b64" in r else r.get("body", "").encode()
    resp = fc.Response(status=r["status"], headers=[fc.Header(name=k, value=v) for k, v in r["headers"]], body=body)
    expect = case["expect"]
    try:
        d = fc.decode_response(case["decode"], resp, case.get("resendable", True), case.get("max_body_bytes"))
    except fc.FastioError.Api as e:
        want = expect["error"]
        got = {
            "kind": e.kind,
            "status": e.status,
            "code": e.code,
            "error_code": e.error_code,
            "message": e.detail,
            "retry": _retry(e.retry),
        }
        if "params" in want:
            got["params"] = [
                {k: v for k, v in (("name", p.name), ("kind", p.kind), ("code", p.code))} for p in e.params
            ]
            # The core serialises every field of a param; compare the ones it carries.
            want = dict(want, params=[{k: p.get(k) for k in ("name", "kind", "code")} for p in want["params"]])
        if want.get("message", "") is None:
            assert e.detail
            got["message"] = None
        assert got == want
        # The raw parts of the error the core keeps verbatim travel in detail_json.
        detail = json.loads(e.detail_json)
        for key, value in expect.get("error_detail", {}).items():
            assert detail.get(key) == value, key
        return
    assert "ok" in expect, f"expected {expect}"
    rl = d.rate_limit
    got_ok = {"value": json.loads(d.value_json), "rate_limit": {"avail": rl.avail, "max": rl.max, "expires": rl.expires}}
    assert got_ok == expect["ok"]


def _retry(r: Any) -> Dict[str, Any]:
    if isinstance(r, fc.RetryDecision.NEVER):
        return {"kind": "never"}
    if isinstance(r, fc.RetryDecision.BACKOFF):
        return {"kind": "backoff"}
    if isinstance(r, fc.RetryDecision.AT):
        return {"kind": "at", "unix_s": r.unix_s}
    return {"kind": "after", "seconds": r.seconds}


# ---------------------------------------------------------------- upload: digests
def _materialise(spec: Dict[str, Any]) -> bytes:
    kind = spec["kind"]
    if kind == "ascii":
        return spec["value"].encode()
    if kind == "hex":
        return bytes.fromhex(spec["value"])
    if kind == "repeat":
        return bytes([spec["byte"]]) * spec["len"]
    if kind == "pattern":
        return bytes(i % 251 for i in range(spec["len"]))
    raise AssertionError(f"unknown input kind {kind}")


DIGESTS = _load("upload", "digests.json")["cases"]


@pytest.mark.parametrize("case", DIGESTS, ids=[c["name"] for c in DIGESTS])
def test_digest_vector(case: Dict[str, Any]) -> None:
    data = _materialise(case["input"])
    assert len(data) == case["len"]
    for algo, want in case["digests"].items():
        assert fc.digest_hex(algo, data) == want, algo
        h = fc.Digest(algo)
        for i in range(0, len(data), 7):
            h.update(data[i : i + 7])
        assert h.bytes_hashed() == len(data)
        assert h.finish_hex() == want, algo
        with pytest.raises(fc.FastioError.Usage):
            h.finish_hex()
        v = fc.StreamVerifier(want, algo)
        for i in range(0, len(data), 1000):
            v.update(data[i : i + 1000])
        got = v.finish()
        assert got.len == len(data)
        assert got.sha256 == case["digests"]["sha256"]
        assert got.crc32c == case["digests"]["crc32c"]
    fd = fc.FileDigest()
    fd.update(data)
    both = fd.finish()
    assert (both.sha256, both.crc32c) == (case["digests"]["sha256"], case["digests"]["crc32c"])


def test_stream_verifier_refuses_a_mismatch() -> None:
    v = fc.StreamVerifier("00" * 32, "sha256")
    v.update(b"abc")
    with pytest.raises(fc.FastioError.Integrity):
        v.finish()


COMBINE = _load("upload", "crc32c_combine.json")


@pytest.mark.parametrize("case", COMBINE["combine"], ids=[c["name"] for c in COMBINE["combine"]])
def test_crc32c_combine_vector(case: Dict[str, Any]) -> None:
    got = fc.crc32c_combine(int(case["crc1"], 16), int(case["crc2"], 16), case["len2"])
    assert f"{got:08x}" == case["combined"]


@pytest.mark.parametrize("case", COMBINE["files"], ids=[c["name"] for c in COMBINE["files"]])
def test_crc32c_file_vector(case: Dict[str, Any]) -> None:
    data = _materialise(case["input"])
    acc = 0
    for part in case["parts"]:
        piece = data[part["offset"] : part["offset"] + part["len"]]
        assert fc.digest_hex("crc32c", piece) == part["crc32c"]
        acc = fc.crc32c_combine(acc, int(part["crc32c"], 16), part["len"])
    assert f"{acc:08x}" == case["file_crc32c"]


# ---------------------------------------------------------------- upload: plans
PLANS = _load("upload", "plans.json")


def _limits(c: Dict[str, Any]) -> fc.PlanLimits:
    return fc.PlanLimits(single_request_max=c["single_request_max"], chunk_size=c["chunk_size"], max_chunks=c["max_chunks"], max_file_size=c["max_file_size"], max_in_flight=c["max_in_flight"])


def _check_plan(make: Any, expect: Dict[str, Any]) -> None:
    if "error" in expect:
        with pytest.raises(fc.FastioError.Plan) as ei:
            make()
        e = ei.value
        assert e.kind == expect["error"]
        if e.kind == "too_large":
            assert (e.size, e.max) == (expect["size"], expect["max"])
        if e.kind == "too_many_chunks":
            assert (e.size, e.chunk_size, e.chunks, e.max) == (expect["size"], expect["chunk_size"], expect["chunks"], expect["max"])
        return
    info = make()
    assert json.loads(info.json) == expect["plan"]
    for order, offset, length in expect.get("chunks", []):
        c = fc.plan_chunk(info.json, order)
        assert c is not None and (c.order, c.offset, c.len) == (order, offset, length)
    if "chunks" in expect:
        assert fc.plan_chunk(info.json, info.chunk_count + 1) is None


@pytest.mark.parametrize("case", PLANS["plans"], ids=[c["name"] for c in PLANS["plans"]])
def test_plan_vector(case: Dict[str, Any]) -> None:
    _check_plan(lambda: fc.plan_upload(case["size"], _limits(case["config"])), case["expect"])


@pytest.mark.parametrize("case", PLANS["streams"], ids=[c["name"] for c in PLANS["streams"]])
def test_stream_plan_vector(case: Dict[str, Any]) -> None:
    _check_plan(lambda: fc.plan_stream(case["max_size"], _limits(case["config"])), case["expect"])


@pytest.mark.parametrize("case", PLANS["limits"], ids=[c["name"] for c in PLANS["limits"]])
def test_limits_vector(case: Dict[str, Any]) -> None:
    got = fc.plan_limits_from_server(json.dumps(case["limits"]), _limits(case["fallback"]))
    assert got == _limits(case["expect"])


# ---------------------------------------------------------------- upload: resume token
def test_resume_token_vector() -> None:
    """Resuming from the token asks the server first, then sends only the
    chunks it lacks, and the file digests match the vector's."""
    v = _load("upload", "resume_token.json")
    data = _materialise(v["input"])
    client = fc.CoreClient("http://127.0.0.1:9/current/", "k", None)
    up = fc.Upload.resume(client, json.dumps(v["token"]), fc.UploadOptions())
    sent_orders: List[int] = []
    now = 0
    done = None
    for _ in range(200):
        a = up.next_action(now)
        if a is None:
            raise AssertionError("machine waits with nothing outstanding")
        if isinstance(a, fc.UploadAction.READ):
            up.on_data(a.id, data[a.offset : a.offset + a.len], now)
        elif isinstance(a, fc.UploadAction.SEND):
            url = a.request.url
            if "/chunks/" in url or url.rstrip("/").endswith("/chunk") and a.request.method == "GET":
                body = {"result": True, "response": {"chunks": [{"order": 1, "size": 4096, "hash": v["token"]["acked"][0]["crc32c"]}]}}
            elif "/chunk/" in url:
                q = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
                sent_orders.append(int(q["order"]))
                if int(q["order"]) == 3:
                    assert q["file_crc32c"] == v["expect"]["crc32c"]
                body = {"result": True, "response": {}}
            elif "/complete/" in url:
                body = {"result": True, "response": {}}
            elif "/details/" in url:
                body = {"result": True, "response": {"session": {"id": "up1", "status": "stored", "new_file_id": "n9", "size": 10000}}}
            else:
                body = {"result": True, "response": {}}
            up.on_response(a.id, fc.Response(status=200, headers=[], body=json.dumps(body).encode()), now)
        elif isinstance(a, fc.UploadAction.WAIT):
            now = a.until_ms
            up.on_timeout(now)
        elif isinstance(a, fc.UploadAction.DONE):
            done = a
            break
    assert done is not None, "the resumed upload finished"
    assert sorted(sent_orders) == v["expect"]["resend"]


# ---------------------------------------------------------------- webhooks
def _scheme(s: Dict[str, Any]) -> Any:
    name = s["name"]
    simple = {
        "fastio": fc.WebhookScheme.FASTIO,
        "fastio-timestamped": fc.WebhookScheme.FASTIO_TIMESTAMPED,
        "standard-webhooks": fc.WebhookScheme.STANDARD_WEBHOOKS,
        "github": fc.WebhookScheme.GIT_HUB,
        "stripe": fc.WebhookScheme.STRIPE,
        "shopify": fc.WebhookScheme.SHOPIFY,
    }
    if name in simple:
        return simple[name]()
    if name == "fastio-timestamped-hex":
        return fc.WebhookScheme.FASTIO_TIMESTAMPED_HEX(s["timestamp_header"])
    assert name == "custom", name
    return fc.WebhookScheme.CUSTOM(
        s["signature_header"], s.get("id_header"), s.get("timestamp_header"), s["encoding"], s.get("prefix", ""), s["algorithm"], s["template"]
    )


@pytest.mark.parametrize("case", _cases("webhooks"))
def test_webhook_vector(case: Dict[str, Any]) -> None:
    body = base64.b64decode(case["body_b64"]) if "body_b64" in case else case["body"].encode()
    tc = case["timestamp_check"]
    check = fc.TimestampCheck.SKIP() if tc == "skip" else fc.TimestampCheck.WITHIN(tc["max_age_s"], tc["max_future_s"])
    headers = [fc.Header(name=k, value=v) for k, v in case["headers"]]
    expect = case["expect"]
    try:
        verifier = fc.WebhookVerifier(_scheme(case["scheme"]), case["secrets"], check, case.get("max_body_bytes"))
        got = verifier.verify(headers, body, case["now"])
    except fc.FastioError.Webhook as e:
        assert "error" in expect, f"refused ({e.kind}: {e}) but expected {expect}"
        setup = {"invalid_secret", "invalid_scheme"}
        assert e.kind == expect["error"] or (e.kind in setup and expect["error"] in setup)
        if "hint" in expect:
            assert e.hint == expect["hint"]
        return
    assert "ok" in expect, f"accepted but expected {expect}"
    ok = expect["ok"]
    assert (got.scheme, got.id, got.timestamp, got.secret_index) == (ok["scheme"], ok["id"], ok["timestamp"], ok["secret_index"])
    sign = case.get("sign")
    if sign:
        secret = sign.get("secret") or case["secrets"][sign["secret_index"]]
        signer = fc.WebhookSigner(_scheme(case["scheme"]), secret)
        signed = signer.sign(sign.get("id"), sign.get("timestamp"), body)
        assert sorted((h.name.lower(), h.value) for h in signed) == sorted((k.lower(), v) for k, v in case["headers"])
