#!/usr/bin/env python3
"""Writes the webhook signature vectors in this folder.

The expected signatures are computed here with Python's standard library
(hmac, hashlib, base64), independently of the Rust code they test.

    python3 generate.py          write the JSON files
    python3 generate.py --check  regenerate in memory; exit 1 if a file differs
"""

import base64
import hashlib
import hmac
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent

NOW = 1_700_000_000
DEFAULT_TOLERANCE = {"max_age_s": 300, "max_future_s": 300}

SECRET = "fastio-test-secret"
OLD_SECRET = "fastio-old-secret"
OTHER_SECRET = "not-the-secret"
# Standard Webhooks secrets are whsec_ + base64 of the key bytes.
SW_KEY = bytes(range(1, 33))
SW_SECRET = "whsec_" + base64.b64encode(SW_KEY).decode()
SW_OLD_KEY = b"an-older-standard-webhooks-key!!"
SW_OLD_SECRET = "whsec_" + base64.b64encode(SW_OLD_KEY).decode()
# Standard Webhooks ed25519 keys: whsk_ + base64 of the 32-byte seed, and
# whpk_ + base64 of the public key.
ED_SEED = bytes(range(100, 132))

JSON_BODY = b'{"event":"workspace_storage_file_added","data":{"workspace_id":"4242","node_id":"f_9"}}'
BINARY_BODY = bytes([0, 255, 254, 1, 128, 10, 13, 0x7F]) + b"\xc3\x28 raw"
EMPTY_BODY = b""


# ------------------------------------------------------------------ ed25519
# Standard Webhooks `v1a` signatures are ed25519 (RFC 8032). The standard
# library has no ed25519, so this is the RFC's reference algorithm (section
# 6), checked below against the RFC's first test vector.
P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
Q = 2**252 + 27742317777372353535851937790883648493
def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    Dd = 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)
def _mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        s >>= 1
    return acc
def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (x & 1) != sign:
        x = P - x
    return x
_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)
def _compress(pt):
    zi = pow(pt[2], P - 2, P)
    x, y = pt[0] * zi % P, pt[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")
def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]
def public_key(seed):
    return _compress(_mul(_expand(seed)[0], G))
def sign_ed25519(seed, msg):
    a, prefix = _expand(seed)
    A = _compress(_mul(a, G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % Q
    R = _compress(_mul(r, G))
    h = int.from_bytes(hashlib.sha512(R + A + msg).digest(), "little") % Q
    return R + ((r + h * a) % Q).to_bytes(32, "little")


def _self_test():
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert public_key(seed).hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert sign_ed25519(seed, b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")


# ------------------------------------------------------------------ signing
def mac(key: bytes, content: bytes, algo: str = "sha256") -> bytes:
    return hmac.new(key, content, getattr(hashlib, algo)).digest()


def hexs(b: bytes) -> str:
    return b.hex()


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def ed_keys(seed: bytes):
    return ("whsk_" + base64.b64encode(seed).decode(),
            "whpk_" + base64.b64encode(public_key(seed)).decode())


def key_bytes(scheme: dict, secret: str) -> bytes:
    if scheme["name"] == "standard-webhooks":
        text = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
        return base64.b64decode(text)
    return secret.encode()


def signed_content(scheme: dict, wid, ts, body: bytes) -> bytes:
    name = scheme["name"]
    if name in ("fastio", "github", "shopify"):
        return body
    if name in ("fastio-timestamped", "fastio-timestamped-hex", "stripe"):
        return str(ts).encode() + b"." + body
    if name == "standard-webhooks":
        return f"{wid}.{ts}.".encode() + body
    if name == "custom":
        out = b""
        tpl = scheme["template"]
        i = 0
        while i < len(tpl):
            if tpl.startswith("{{", i):
                out += b"{"; i += 2
            elif tpl.startswith("}}", i):
                out += b"}"; i += 2
            elif tpl.startswith("{id}", i):
                out += wid.encode(); i += 4
            elif tpl.startswith("{timestamp}", i):
                out += str(ts).encode(); i += 11
            elif tpl.startswith("{body}", i):
                out += body; i += 6
            else:
                out += tpl[i].encode(); i += 1
        return out
    raise ValueError(name)


def raw_mac(scheme, secret, wid, ts, body):
    if secret.startswith("whsk_"):
        seed = base64.b64decode(secret[len("whsk_"):])[:32]
        return sign_ed25519(seed, signed_content(scheme, wid, ts, body))
    algo = scheme.get("algorithm", "sha256")
    return mac(key_bytes(scheme, secret), signed_content(scheme, wid, ts, body), algo)


def sign(scheme: dict, secret: str, wid=None, ts=None, body=b""):
    """The headers the Rust Signer is expected to produce, in its order."""
    m = raw_mac(scheme, secret, wid, ts, body)
    name = scheme["name"]
    if name == "fastio":
        return [["x-fastio-signature", hexs(m)]]
    if name == "fastio-timestamped":
        return [["fastio-signature", f"t={ts},v1={b64(m)}"]]
    if name == "fastio-timestamped-hex":
        return [["x-fastio-signature", "sha256=" + hexs(m)],
                [scheme.get("timestamp_header", "x-fastio-timestamp"), str(ts)]]
    if name == "standard-webhooks":
        version = "v1a" if secret.startswith("whsk_") else "v1"
        return [["webhook-signature", f"{version},{b64(m)}"], ["webhook-id", wid], ["webhook-timestamp", str(ts)]]
    if name == "github":
        out = [["x-hub-signature-256", "sha256=" + hexs(m)]]
        return out + ([["x-github-delivery", wid]] if wid else [])
    if name == "stripe":
        return [["stripe-signature", f"t={ts},v1={hexs(m)}"]]
    if name == "shopify":
        out = [["x-shopify-hmac-sha256", b64(m)]]
        return out + ([["x-shopify-webhook-id", wid]] if wid else [])
    if name == "custom":
        enc = hexs(m) if scheme["encoding"] == "hex" else b64(m)
        out = [[scheme["signature_header"].lower(), scheme.get("prefix", "") + enc]]
        if scheme.get("id_header") and wid:
            out.append([scheme["id_header"].lower(), wid])
        if scheme.get("timestamp_header"):
            out.append([scheme["timestamp_header"].lower(), str(ts)])
        return out
    raise ValueError(name)


# ------------------------------------------------------------------ cases
def body_fields(body: bytes) -> dict:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_b64": b64(body)}


def case(name, scheme, secrets, headers, body, expect, *, now=NOW,
         timestamp_check=None, max_body_bytes=None, sign_input=None):
    c = {"name": name, "scheme": scheme, "secrets": secrets}
    c["timestamp_check"] = DEFAULT_TOLERANCE if timestamp_check is None else timestamp_check
    if max_body_bytes is not None:
        c["max_body_bytes"] = max_body_bytes
    c["now"] = now
    c["headers"] = headers
    c.update(body_fields(body))
    if sign_input is not None:
        c["sign"] = sign_input
    c["expect"] = expect
    return c


def ok(scheme, wid=None, ts=None, index=0):
    return {"ok": {"scheme": scheme["name"], "id": wid, "timestamp": ts, "secret_index": index}}


def err(kind, hint=None):
    e = {"error": kind}
    if hint:
        e["hint"] = hint
    return e


def valid(name, scheme, secret, wid, ts, body, *, secrets=None, index=0, **kw):
    """A delivery signed by the generator; the Rust signer must reproduce it.
    `secret` signs; `secrets` (default: just `secret`) verify."""
    headers = sign(scheme, secret, wid, ts, body)
    sign_input = {"secret_index": index, "id": wid, "timestamp": ts}
    if secrets is not None and secrets[index] != secret:
        sign_input["secret"] = secret
    secrets = secrets or [secret]
    carried_id = wid if scheme["name"] in ("standard-webhooks", "github", "shopify") or (
        scheme["name"] == "custom" and scheme.get("id_header")) else None
    carried_ts = ts if has_timestamp(scheme) else None
    return case(name, scheme, secrets, headers, body, ok(scheme, carried_id, carried_ts, index),
                sign_input=sign_input, **kw)


def has_timestamp(scheme):
    if scheme["name"] == "custom":
        return "{timestamp}" in scheme["template"]
    return scheme["name"] in ("fastio-timestamped", "fastio-timestamped-hex", "standard-webhooks", "stripe")


def replace(headers, name, value):
    return [[k, value if k.lower() == name else v] for k, v in headers]


def drop(headers, name):
    return [[k, v] for k, v in headers if k.lower() != name]


def common_invalid(prefix, scheme, secret, wid, ts, body, sig_header, garbage):
    h = sign(scheme, secret, wid, ts, body)
    return [
        case(f"{prefix}: wrong secret", scheme, [OTHER_SECRET if scheme["name"] != "standard-webhooks" else SW_OLD_SECRET],
             h, body, err("no_matching_signature")),
        case(f"{prefix}: body changed after signing", scheme, [secret], h, body + b"x",
             err("no_matching_signature")),
        case(f"{prefix}: signature header missing", scheme, [secret], drop(h, sig_header), body,
             err("missing_header")),
        case(f"{prefix}: signature header not in the scheme's format", scheme, [secret],
             replace(h, sig_header, garbage), body, err("malformed_header")),
    ]


def tolerance_cases(prefix, scheme, secret, wid, body, ts_header=None):
    out = []
    for label, ts, expect_ok, kind in [
        ("exactly max age old", NOW - 300, True, None),
        ("one second past max age", NOW - 301, False, "timestamp_too_old"),
        ("exactly max skew ahead", NOW + 300, True, None),
        ("one second past max skew", NOW + 301, False, "timestamp_in_future"),
    ]:
        if expect_ok:
            out.append(valid(f"{prefix}: timestamp {label}", scheme, secret, wid, ts, body))
        else:
            h = sign(scheme, secret, wid, ts, body)
            out.append(case(f"{prefix}: timestamp {label}", scheme, [secret], h, body, err(kind)))
    h = sign(scheme, secret, wid, NOW - 86_400, body)
    out.append(case(f"{prefix}: a day old, distinct tolerances (1 day back, 0 ahead)", scheme, [secret], h, body,
                    ok(scheme, wid if scheme["name"] == "standard-webhooks" else None, NOW - 86_400),
                    timestamp_check={"max_age_s": 86_400, "max_future_s": 0}))
    h = sign(scheme, secret, wid, NOW + 1, body)
    out.append(case(f"{prefix}: one second ahead with zero future tolerance", scheme, [secret], h, body,
                    err("timestamp_in_future"), timestamp_check={"max_age_s": 86_400, "max_future_s": 0}))
    h = sign(scheme, secret, wid, 1_000, body)
    out.append(case(f"{prefix}: ancient timestamp accepted when the check is skipped", scheme, [secret], h, body,
                    ok(scheme, wid if scheme["name"] == "standard-webhooks" else None, 1_000),
                    timestamp_check="skip"))
    ms = NOW * 1000
    h = sign(scheme, secret, wid, ms, body)
    out.append(case(f"{prefix}: timestamp sent in milliseconds", scheme, [secret], h, body,
                    err("timestamp_in_future", "timestamp_in_milliseconds")))
    h = sign(scheme, secret, wid, NOW, body)
    out.append(case(f"{prefix}: now given in milliseconds", scheme, [secret], h, body,
                    err("timestamp_too_old", "now_in_milliseconds"), now=NOW * 1000))
    if ts_header:
        out.append(case(f"{prefix}: timestamp header missing", scheme, [secret], drop(h, ts_header), body,
                        err("missing_header")))
        out.append(case(f"{prefix}: timestamp header not a number", scheme, [secret],
                        replace(h, ts_header, "1700000000.5"), body, err("malformed_header")))
        h2 = replace(h, ts_header, str(NOW + 1))
        out.append(case(f"{prefix}: timestamp header changed after signing", scheme, [secret], h2, body,
                        err("no_matching_signature")))
    return out


def fastio_file():
    s = {"name": "fastio"}
    h = sign(s, SECRET, body=JSON_BODY)
    sig = h[0][1]
    cases = [
        valid("fastio: JSON body", s, SECRET, None, None, JSON_BODY),
        valid("fastio: binary body", s, SECRET, None, None, BINARY_BODY),
        valid("fastio: empty body", s, SECRET, None, None, EMPTY_BODY),
        case("fastio: sha256= prefix", s, [SECRET], [["x-fastio-signature", "sha256=" + sig]], JSON_BODY, ok(s)),
        case("fastio: upper-case hex", s, [SECRET], [["x-fastio-signature", sig.upper()]], JSON_BODY, ok(s)),
        case("fastio: header name in any case, value padded", s, [SECRET],
             [["Content-Type", "application/json"], ["X-FastIO-Signature", "  " + sig + " "]], JSON_BODY, ok(s)),
        case("fastio: truncated signature", s, [SECRET], [["x-fastio-signature", sig[:-2]]], JSON_BODY,
             err("no_matching_signature")),
        case("fastio: odd-length hex", s, [SECRET], [["x-fastio-signature", sig[:-1]]], JSON_BODY,
             err("malformed_header")),
        case("fastio: signature header holds a whsec_ secret", s, [SECRET], [["x-fastio-signature", SW_SECRET]],
             JSON_BODY, err("malformed_header", "signature_looks_like_secret")),
    ]
    ts_form = sign({"name": "fastio-timestamped-hex", "timestamp_header": "x-fastio-timestamp"}, SECRET, None, NOW,
                   JSON_BODY)
    cases.append(case("fastio: delivery signed over timestamp.body (the other article's form)", s, [SECRET],
                      ts_form, JSON_BODY, err("no_matching_signature", "other_fastio_form")))
    cases += common_invalid("fastio", s, SECRET, None, None, JSON_BODY, "x-fastio-signature", "zz-not-hex")
    return cases


def fastio_timestamped_file():
    s = {"name": "fastio-timestamped"}
    cases = [
        valid("fastio-timestamped: JSON body", s, SECRET, None, NOW, JSON_BODY),
        valid("fastio-timestamped: binary body", s, SECRET, None, NOW, BINARY_BODY),
    ]
    m_old = b64(raw_mac(s, OLD_SECRET, None, NOW, JSON_BODY))
    m_new = b64(raw_mac(s, SECRET, None, NOW, JSON_BODY))
    cases.append(case("fastio-timestamped: two v1 values, second matches, spaces after commas", s, [SECRET],
                      [["Fastio-Signature", f"t={NOW}, v1={m_old}, v1={m_new}"]], JSON_BODY, ok(s, None, NOW)))
    cases.append(case("fastio-timestamped: unpadded base64", s, [SECRET],
                      [["fastio-signature", f"t={NOW},v1={m_new.rstrip('=')}"]], JSON_BODY, ok(s, None, NOW)))
    cases.append(case("fastio-timestamped: no t=", s, [SECRET],
                      [["fastio-signature", f"v1={m_new}"]], JSON_BODY, err("malformed_header")))
    cases.append(case("fastio-timestamped: no v1=", s, [SECRET],
                      [["fastio-signature", f"t={NOW},v0={m_new}"]], JSON_BODY, err("malformed_header")))
    cases.append(case("fastio-timestamped: t changed after signing", s, [SECRET],
                      [["fastio-signature", f"t={NOW + 1},v1={m_new}"]], JSON_BODY, err("no_matching_signature")))
    cases += common_invalid("fastio-timestamped", s, SECRET, None, NOW, JSON_BODY, "fastio-signature",
                            f"t={NOW},v1=@@@")
    cases += tolerance_cases("fastio-timestamped", s, SECRET, None, JSON_BODY)
    return cases


def fastio_timestamped_hex_file():
    s = {"name": "fastio-timestamped-hex", "timestamp_header": "x-fastio-timestamp"}
    s2 = {"name": "fastio-timestamped-hex", "timestamp_header": "x-webhook-time"}
    cases = [
        valid("fastio-timestamped-hex: JSON body", s, SECRET, None, NOW, JSON_BODY),
        valid("fastio-timestamped-hex: binary body", s, SECRET, None, NOW, BINARY_BODY),
        valid("fastio-timestamped-hex: configured timestamp header", s2, SECRET, None, NOW, JSON_BODY),
    ]
    h = sign(s, SECRET, None, NOW, JSON_BODY)
    cases.append(case("fastio-timestamped-hex: without sha256= prefix, upper case", s, [SECRET],
                      [["X-Fastio-Signature", h[0][1][len("sha256="):].upper()], ["X-Fastio-Timestamp", str(NOW)]],
                      JSON_BODY, ok(s, None, NOW)))
    cases.append(case("fastio-timestamped-hex: body-only signature (plain fastio) does not verify", s, [SECRET],
                      [["x-fastio-signature", "sha256=" + hexs(mac(SECRET.encode(), JSON_BODY))],
                       ["x-fastio-timestamp", str(NOW)]], JSON_BODY, err("no_matching_signature", "other_fastio_form")))
    cases += common_invalid("fastio-timestamped-hex", s, SECRET, None, NOW, JSON_BODY, "x-fastio-signature",
                            "sha256=not-hex")
    cases += tolerance_cases("fastio-timestamped-hex", s, SECRET, None, JSON_BODY, ts_header="x-fastio-timestamp")
    return cases


def standard_file():
    s = {"name": "standard-webhooks"}
    wid = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    cases = [
        valid("standard-webhooks: JSON body", s, SW_SECRET, wid, NOW, JSON_BODY),
        valid("standard-webhooks: binary body", s, SW_SECRET, wid, NOW, BINARY_BODY),
        valid("standard-webhooks: empty body", s, SW_SECRET, wid, NOW, EMPTY_BODY),
    ]
    m = b64(raw_mac(s, SW_SECRET, wid, NOW, JSON_BODY))
    m_old = b64(raw_mac(s, SW_OLD_SECRET, wid, NOW, JSON_BODY))
    base = [["webhook-id", wid], ["webhook-timestamp", str(NOW)]]
    cases += [
        case("standard-webhooks: secret without whsec_ prefix", s, [SW_SECRET[len("whsec_"):]],
             base + [["webhook-signature", "v1," + m]], JSON_BODY, ok(s, wid, NOW)),
        case("standard-webhooks: several entries, v1a skipped", s, [SW_SECRET],
             base + [["Webhook-Signature", f"v1a,{b64(b'x' * 64)} v1,{m_old} v1,{m}"]], JSON_BODY, ok(s, wid, NOW)),
        case("standard-webhooks: only v1a entries, no public key given", s, [SW_SECRET],
             base + [["webhook-signature", f"v1a,{b64(b'x' * 64)}"]], JSON_BODY,
             err("no_matching_signature", "no_key_for_signature_version")),
        case("standard-webhooks: only unknown versions", s, [SW_SECRET],
             base + [["webhook-signature", f"v2,{m}"]], JSON_BODY,
             err("malformed_header", "unsupported_signature_version")),
        case("standard-webhooks: signature header holds the secret", s, [SW_SECRET],
             base + [["webhook-signature", SW_SECRET]], JSON_BODY,
             err("malformed_header", "signature_looks_like_secret")),
        case("standard-webhooks: signature passed as the secret", s, ["v1," + m],
             base + [["webhook-signature", "v1," + m]], JSON_BODY,
             err("invalid_secret", "secret_looks_like_signature")),
        case("standard-webhooks: secret is not base64", s, ["whsec_not base64!"],
             base + [["webhook-signature", "v1," + m]], JSON_BODY, err("invalid_secret", "secret_not_whsec")),
        case("standard-webhooks: webhook-id missing", s, [SW_SECRET],
             [["webhook-timestamp", str(NOW)], ["webhook-signature", "v1," + m]], JSON_BODY, err("missing_header")),
        case("standard-webhooks: webhook-id changed after signing", s, [SW_SECRET],
             [["webhook-id", wid + "x"], ["webhook-timestamp", str(NOW)], ["webhook-signature", "v1," + m]],
             JSON_BODY, err("no_matching_signature")),
    ]
    cases += common_invalid("standard-webhooks", s, SW_SECRET, wid, NOW, JSON_BODY, "webhook-signature",
                            "sha256=abc")
    cases += asymmetric_cases(s, wid)
    cases += tolerance_cases("standard-webhooks", s, SW_SECRET, wid, JSON_BODY, ts_header="webhook-timestamp")
    return cases


def asymmetric_cases(s, wid):
    """Standard Webhooks `v1a`: ed25519 signatures checked with `whpk_` keys."""
    sk, pk = ed_keys(ED_SEED)
    other_sk, other_pk = ed_keys(bytes(32))
    base = [["webhook-id", wid], ["webhook-timestamp", str(NOW)]]
    sig_a = b64(raw_mac(s, sk, wid, NOW, JSON_BODY))
    hmac_sig = b64(raw_mac(s, SW_SECRET, wid, NOW, JSON_BODY))
    return [
        valid("standard-webhooks v1a: JSON body, public key", s, sk, wid, NOW, JSON_BODY, secrets=[pk]),
        valid("standard-webhooks v1a: binary body, public key", s, sk, wid, NOW, BINARY_BODY, secrets=[pk]),
        valid("standard-webhooks v1a: the secret key verifies too", s, sk, wid, NOW, JSON_BODY),
        valid("standard-webhooks v1a: HMAC secret first, public key matches", s, sk, wid, NOW, JSON_BODY,
              secrets=[SW_SECRET, pk], index=1),
        case("standard-webhooks v1a: v1 and v1a entries, HMAC secret matches", s, [other_pk, SW_SECRET],
             base + [["webhook-signature", f"v1a,{sig_a} v1,{hmac_sig}"]], JSON_BODY, ok(s, wid, NOW, 1)),
        case("standard-webhooks v1a: wrong public key", s, [other_pk],
             base + [["webhook-signature", f"v1a,{sig_a}"]], JSON_BODY, err("no_matching_signature")),
        case("standard-webhooks v1a: body changed after signing", s, [pk],
             base + [["webhook-signature", f"v1a,{sig_a}"]], JSON_BODY + b" ", err("no_matching_signature")),
        case("standard-webhooks v1a: only v1 entries, only a public key", s, [pk],
             base + [["webhook-signature", f"v1,{hmac_sig}"]], JSON_BODY,
             err("no_matching_signature", "no_key_for_signature_version")),
        case("standard-webhooks v1a: public key of the wrong length", s, ["whpk_" + b64(bytes(31))],
             base + [["webhook-signature", f"v1a,{sig_a}"]], JSON_BODY, err("invalid_secret")),
    ]


def github_file():
    s = {"name": "github"}
    wid = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    cases = [
        valid("github: JSON body with delivery id", s, SECRET, wid, None, JSON_BODY),
        valid("github: binary body without delivery id", s, SECRET, None, None, BINARY_BODY),
    ]
    h = sign(s, SECRET, wid, None, JSON_BODY)
    cases.append(case("github: signature without sha256= prefix", s, [SECRET],
                      [["X-Hub-Signature-256", h[0][1][len("sha256="):]]], JSON_BODY, err("malformed_header")))
    cases += common_invalid("github", s, SECRET, wid, None, JSON_BODY, "x-hub-signature-256", "sha256=xyz")
    return cases


def stripe_file():
    s = {"name": "stripe"}
    cases = [
        valid("stripe: JSON body", s, SECRET, None, NOW, JSON_BODY),
        valid("stripe: binary body", s, SECRET, None, NOW, BINARY_BODY),
    ]
    m = hexs(raw_mac(s, SECRET, None, NOW, JSON_BODY))
    m_old = hexs(raw_mac(s, OLD_SECRET, None, NOW, JSON_BODY))
    cases += [
        case("stripe: v0 ignored, second v1 matches", s, [SECRET],
             [["Stripe-Signature", f"t={NOW},v1={m_old},v0={m_old},v1={m}"]], JSON_BODY, ok(s, None, NOW)),
        case("stripe: base64 instead of hex", s, [SECRET],
             [["stripe-signature", f"t={NOW},v1={b64(bytes.fromhex(m))}"]], JSON_BODY, err("malformed_header")),
        case("stripe: two t values", s, [SECRET],
             [["stripe-signature", f"t={NOW},t={NOW},v1={m}"]], JSON_BODY, err("malformed_header")),
    ]
    stripe_secret = "whsec_" + "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
    cases.append(valid("stripe: whsec_ endpoint secret signs as text", s, stripe_secret, None, NOW, JSON_BODY))
    cases.append(case("stripe: whsec_ endpoint secret, no match, no whsec hint", s, [stripe_secret],
                      sign(s, SECRET, None, NOW, b"{}"), b"{}", err("no_matching_signature", "use_raw_body")))
    cases += common_invalid("stripe", s, SECRET, None, NOW, JSON_BODY, "stripe-signature", "v1=abc")
    cases += tolerance_cases("stripe", s, SECRET, None, JSON_BODY)
    return cases


def shopify_file():
    s = {"name": "shopify"}
    wid = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    cases = [
        valid("shopify: JSON body with webhook id", s, SECRET, wid, None, JSON_BODY),
        valid("shopify: binary body", s, SECRET, None, None, BINARY_BODY),
    ]
    cases += common_invalid("shopify", s, SECRET, wid, None, JSON_BODY, "x-shopify-hmac-sha256", "!!!")
    return cases


def custom_file():
    full = {"name": "custom", "signature_header": "X-Signature", "id_header": "X-Delivery",
            "timestamp_header": "X-Timestamp", "encoding": "base64", "prefix": "", "algorithm": "sha512",
            "template": "{id}:{timestamp}:{body}"}
    hexed = {"name": "custom", "signature_header": "x-sig", "encoding": "hex", "prefix": "hmac-sha256=",
             "algorithm": "sha256", "template": "{body}"}
    braces = {"name": "custom", "signature_header": "x-sig", "timestamp_header": "x-ts", "encoding": "hex",
              "prefix": "", "algorithm": "sha256", "template": "{{v1}}{timestamp}|{body}"}
    cases = [
        valid("custom: SHA-512, base64, id and timestamp in the template", full, SECRET, "d-1", NOW, JSON_BODY),
        valid("custom: SHA-512 binary body", full, SECRET, "d-2", NOW, BINARY_BODY),
        valid("custom: hex with prefix, body only", hexed, SECRET, None, None, JSON_BODY),
        valid("custom: literal braces in template", braces, SECRET, None, NOW, BINARY_BODY),
    ]
    h = sign(hexed, SECRET, None, None, JSON_BODY)
    cases.append(case("custom: prefix missing", hexed, [SECRET], [["x-sig", h[0][1][len("hmac-sha256="):]]],
                      JSON_BODY, err("malformed_header")))
    cases += common_invalid("custom", full, SECRET, "d-1", NOW, JSON_BODY, "x-signature", "###")
    h = sign(full, SECRET, "d-1", NOW, JSON_BODY)
    cases.append(case("custom: id header missing", full, [SECRET], drop(h, "x-delivery"), JSON_BODY,
                      err("missing_header")))
    cases += tolerance_cases("custom", full, SECRET, "d-1", JSON_BODY, ts_header="x-timestamp")[:2]
    bad = dict(full, id_header=None)
    cases.append(case("custom: template uses {id} without an id header", bad, [SECRET], h, JSON_BODY,
                      err("invalid_scheme")))
    bad = dict(hexed, timestamp_header="x-ts")
    cases.append(case("custom: timestamp header that is not signed", bad, [SECRET], h, JSON_BODY,
                      err("invalid_scheme")))
    bad = dict(hexed, template="{id}.{payload}")
    cases.append(case("custom: unknown template placeholder", bad, [SECRET], h, JSON_BODY, err("invalid_scheme")))
    return cases


def general_file():
    s = {"name": "fastio"}
    sw = {"name": "standard-webhooks"}
    wid = "msg_rotation"
    cases = [
        valid("rotation: second secret matches", s, SECRET, None, None, JSON_BODY,
              secrets=[OLD_SECRET, SECRET], index=1),
        valid("rotation: first secret matches", s, SECRET, None, None, JSON_BODY,
              secrets=[SECRET, OLD_SECRET], index=0),
        valid("rotation: standard webhooks, old secret still accepted", sw, SW_OLD_SECRET, wid, NOW, JSON_BODY,
              secrets=[SW_SECRET, SW_OLD_SECRET], index=1),
        case("rotation: neither secret matches", s, [OLD_SECRET, OTHER_SECRET], sign(s, SECRET, body=JSON_BODY),
             JSON_BODY, err("no_matching_signature")),
    ]
    h = sign(s, SECRET, body=JSON_BODY)
    cases += [
        case("body exactly at the cap", s, [SECRET], h, JSON_BODY, ok(s), max_body_bytes=len(JSON_BODY)),
        case("body one byte over the cap", s, [SECRET], h, JSON_BODY, err("body_too_large"),
             max_body_bytes=len(JSON_BODY) - 1),
        case("secret with a trailing newline", s, [SECRET + "\n"], h, JSON_BODY,
             err("invalid_secret", "secret_whitespace")),
        case("secret with a leading space", s, [" " + SECRET], h, JSON_BODY,
             err("invalid_secret", "secret_whitespace")),
        case("empty secret", s, [""], h, JSON_BODY, err("invalid_secret")),
        case("no secrets", s, [], h, JSON_BODY, err("invalid_secret")),
        case("a whsec_ secret used with the plain scheme", s, [SW_SECRET], h, JSON_BODY,
             err("no_matching_signature", "whsec_with_other_scheme")),
        case("body received with a trailing newline added", s, [SECRET], h, JSON_BODY + b"\n",
             err("no_matching_signature", "body_whitespace_changed")),
    ]
    # The sender signed compact JSON with sorted keys; a framework handed the
    # receiver a pretty-printed copy.
    obj = json.loads(JSON_BODY)
    compact = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    pretty = json.dumps(obj, indent=4, sort_keys=True).encode()
    cases += [
        case("body re-serialised by a framework (pretty-printed)", s, [SECRET], sign(s, SECRET, body=compact),
             pretty, err("no_matching_signature", "body_reserialised")),
        case("JSON body that does not match", s, [SECRET], sign(s, SECRET, body=b"{}"), JSON_BODY,
             err("no_matching_signature", "use_raw_body")),
    ]
    return cases


FILES = {
    "fastio.json": fastio_file,
    "fastio_timestamped.json": fastio_timestamped_file,
    "fastio_timestamped_hex.json": fastio_timestamped_hex_file,
    "standard_webhooks.json": standard_file,
    "github.json": github_file,
    "stripe.json": stripe_file,
    "shopify.json": shopify_file,
    "custom.json": custom_file,
    "general.json": general_file,
}


def render(cases) -> str:
    doc = {"format": "fastio-webhook-vectors/1", "generator": "generate.py", "cases": cases}
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def main() -> int:
    _self_test()
    check = "--check" in sys.argv[1:]
    unknown = [a for a in sys.argv[1:] if a != "--check"]
    if unknown:
        print(f"unknown argument: {unknown[0]}", file=sys.stderr)
        return 2
    differing = []
    for name, build in FILES.items():
        text = render(build())
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                differing.append(name)
        else:
            path.write_text(text)
    if check:
        if differing:
            print("webhook vectors differ from generate.py output: " + ", ".join(differing), file=sys.stderr)
            return 1
        print(f"ok: {len(FILES)} webhook vector files match generate.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
