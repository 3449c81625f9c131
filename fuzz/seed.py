#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the conformance vectors.

    python3 fuzz/seed.py            # write fuzz/corpus/<target>/<sha1>
    python3 fuzz/seed.py --check    # exit 1 if a seed is missing or stale

Seeds come from tests/vectors/** (response bodies and statuses, request
bodies, resume tokens, webhook deliveries, grants, magic-byte heads, limits
answers) and, for the machine targets, from scripts in the layout their
`Script` reader expects (see fuzz/src/lib.rs): a happy path per flow plus a
few detours, so fuzzing starts deep inside each machine. File names are the
SHA-1 of the content, as libFuzzer names its own finds. Standard library only.
"""
import base64
import glob
import hashlib
import hmac
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VECTORS = os.path.join(ROOT, "tests", "vectors")
CORPUS = os.path.join(HERE, "corpus")
MAX_SEED = 64 * 1024


def load(rel):
    with open(os.path.join(VECTORS, rel), encoding="utf-8") as f:
        return json.load(f)


def cases(pattern):
    out = []
    for path in sorted(glob.glob(os.path.join(VECTORS, pattern))):
        with open(path, encoding="utf-8") as f:
            out.extend(json.load(f).get("cases", []))
    return out


# ------------------------------------------------------------ script layout
def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def blob(b):
    if isinstance(b, str):
        b = b.encode()
    b = b[:0xFFFF]
    return u16(len(b)) + b


def compact(v):
    return json.dumps(v, separators=(",", ":")).encode()


# Mirrors fastio_core_fuzz::respond with status 200 and no headers:
# status index 0 (200), header count 0.
OK_HEAD = u8(0) + u8(0)


# ------------------------------------------------------------ vectors
def response_cases():
    for c in cases("responses/*.json"):
        r = c["response"]
        body = base64.b64decode(r["body_b64"]) if "body_b64" in r else r.get("body", "").encode()
        yield c["decode"], r.get("status", 200), r.get("headers", []), body


MODELS = [
    "payload", "token_check", "auth_token", "oauth_token", "user", "api_key", "org",
    "workspace", "org_list", "workspace_list", "node_details", "node_list", "read_token",
    "lock", "upload_session", "chunk_list", "algos", "upload_limits", "batch", "share",
    "ai_turn_ref", "ai_message", "ai_cancel", "event", "event_list", "activity",
    "webhook_subscription", "transfer_token", "node",
]


def seeds_decode_models():
    for decode, status, _, body in response_cases():
        if decode not in MODELS:
            continue
        code = {200: 0, 404: 5, 201: 6}.get(status, 7)
        yield u8(MODELS.index(decode)) + u8(code) + body


def seeds_decode_response():
    for _, status, headers, body in response_cases():
        head = "".join("%s:%s\n" % (k, v) for k, v in headers).encode()[:255]
        raw = (status - 100) % 500
        yield u16(raw) + u8(len(head)) + head + body


def webhook_cases():
    return cases("webhooks/*.json")


def webhook_body(c):
    return base64.b64decode(c["body_b64"]) if "body_b64" in c else c["body"].encode()


def seeds_webhook_event():
    for c in webhook_cases():
        yield webhook_body(c)


def seeds_webhook_headers():
    for c in webhook_cases():
        values = [v for _, v in c["headers"]][:4]
        values += [""] * (4 - len(values))
        yield ("\n".join(values) + "\n").encode() + webhook_body(c)


def seeds_resume_token():
    vector = load("upload/resume_token.json")
    token = vector["token"]
    yield json.dumps(token, indent=2).encode()
    yield compact(token)
    yield compact(vector["digest_token"])
    yield compact(vector["legacy_token"])
    variants = [
        dict(token, acked=[]),
        dict(token, read_crcs=[[1, "719077fc"], [2, "00000000"]]),
        dict(token, version=2),
        dict(token, upload_id=" "),
        dict(token, chunk_algo=None, add_to=["ws1", "root"]),
        dict(token, target={"share": "s1"}),
        dict(token, plan=dict(token["plan"], chunk_count=4)),
        dict(token, plan={"kind": "single", "size": token["size"]}),
        dict(token, acked=[{"order": 3, "crc32c": "719077fc", "digest": None}]),
        dict(token, size=1 << 40, plan=dict(token["plan"], size=1 << 40, chunk_size=1 << 22,
                                             chunk_count=1 << 18)),
    ]
    for v in variants:
        yield compact(v)


def seeds_grant_verify():
    for c in load("policy/grants.json")["cases"]:
        yield c["token"].encode()
    for c in load("policy/sniff.json")["cases"]:
        yield base64.b64decode(c["head_b64"])


def seeds_upload_limits():
    limits = load("upload/plans.json")["limits"]
    for c in limits:
        fb = c["fallback"]
        default = fb == {"single_request_max": 4194304, "chunk_size": 4194304,
                         "max_chunks": None, "max_file_size": None, "max_in_flight": 3}
        if default:
            head = u8(1)
        else:
            opt = lambda v: u8(0) if v is None else u8(1) + u64(v) + u8(0)
            head = (u8(0) + u64(fb["single_request_max"]) + u8(0) + u64(fb["chunk_size"]) + u8(0)
                    + opt(fb["max_chunks"]) + opt(fb["max_file_size"])
                    + u32(fb["max_in_flight"]) + u8(0))
        for size in (0, 4194305, 10 ** 9):
            body = compact({"result": True, "response": c["limits"]})
            # size, probe, no stream max, status 200, no headers, body.
            yield head + u64(size) + u8(0) + u64(12345) + u8(0) + u8(1) + u8(0) + body


def request_cases():
    for c in cases("requests/*.json"):
        e = c.get("expect") or {}
        if "url" not in e:
            continue
        headers = {k.lower(): v for k, v in e.get("headers", [])}
        body = e.get("body") or {}
        data = base64.b64decode(body["b64"]) if "b64" in body else body.get("text", "").encode()
        yield c, e, headers, data


def seeds_devserver_params():
    for _, e, headers, data in request_cases():
        ct = headers.get("content-type", "")
        query = e["url"].split("?", 1)[1].encode() if "?" in e["url"] else b""
        if query:
            yield u8(0) + query
        path = e["url"].split("?", 1)[0].split("/current/", 1)[-1]
        yield u8(4) + blob(path) + blob(ct) + str(len(data)).encode()
        if ct.startswith("application/x-www-form-urlencoded") and data:
            yield u8(0) + data
            yield u8(3) + u8(1) + blob(query) + blob(data) + b"".join(blob(k) for k in (b"name", b"id", b"a", b"size"))
    for c in cases("requests/*.json"):
        call = c.get("call", {})
        for group in call.values():
            yield u8(2) + compact(group)
    yield u8(1) + u8(3) + blob("name") + blob("a b+c.txt") + blob("x") + blob("") + blob("é") + blob("%")


BOUNDARIES = ["XyZ", "----fastio0123", "a", "b o u n d", ""]


def seeds_devserver_multipart():
    for _, _, headers, data in request_cases():
        ct = headers.get("content-type", "")
        if not ct.startswith("multipart/form-data") or len(data) > MAX_SEED:
            continue
        boundary = ct.split("boundary=", 1)[1]
        head = u8(len(BOUNDARIES)) + blob(boundary) + u8(2)
        for limit, algo in ((0xFFFF, 0), (16, 1)):
            yield (head + u16(limit) + u32(1 << 19) + u8(algo) + blob("order")
                   + u8(2) + u16(len(data) // 3) + u16(len(data) // 2) + data)
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"hash_algo\"\r\n\r\nsha256\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\nhello\r\n--XyZ--\r\n")
    yield u8(0) + u8(2) + u16(100) + u32(4096) + u8(0) + blob("name") + u8(1) + u16(40) + body
    yield u8(0) + u8(1) + u16(3) + u32(4096) + u8(1) + blob("a") + u8(0) + body


def seeds_devserver_range():
    for header, length in (("bytes=0-99", 1000), ("bytes=-500", 1000), ("bytes=900-", 1000),
                           ("bytes=0-0,5-9", 10), (" bytes = 1 - 2 ", 5), ("bytes=5-1", 10)):
        yield u8(2) + u32(length) + u8(1) + header.encode()
    yield u8(3) + u64(1 << 40) + u8(0) + u8(1) + u64(7) + u8(0) + u8(0) + u8(0)


PATHS = ["/healthz", "/grant", "/upload", "/uploads", "/uploads/u1/chunks/2",
         "/uploads/u%2D1%20x/chunks/%37", "/uploads/u1/complete", "/webhooks/fastio", "//uploads//"]


def seeds_gateway_request():
    for i, _ in enumerate(PATHS):
        yield u8(0) + u8(i % 7) + u8(1) + u8(i) + blob("")
    for p in ("/uploads/%FF%FE/complete", "/nowhere", "/upload/"):
        yield u8(0) + u8(1) + u8(0) + p.encode()
    for name in ("report.pdf", "..", "a/b", "a\nb", "x" * 256, "été 📄.txt", " "):
        yield u8(1) + name.encode()
    for q in ("name=my%20report.pdf", "x=1&name=a+b%2Bc.txt", "name=%FF%FE", "name=a%2Fb"):
        yield u8(2) + blob("name") + q.encode()
    for c in load("policy/grants.json")["cases"]:
        yield u8(3) + blob("Bearer " + c["token"]) + blob(" 1048576 ")
    yield u8(4) + u8(1) + blob("/upload") + blob("photo.jpg") + b"name=other.jpg"


def seeds_gateway_relay():
    for c in load("policy/grants.json")["cases"]:
        yield u8(0) + c["token"].encode()
    for size, chunk in ((10000, 4096), (1, 1), (4096, 4096), (65535, 100)):
        # constructed state: id "up1", size, chunk, expiry; then honest chunks.
        yield (u8(1) + u16(7) + u8(0) + u8(1) + u16(size - 1) + u16(chunk - 1) + u16(3600)
               + u8(0) + b"\x00" * 8)
    for c in load("policy/sniff.json")["cases"]:
        head = base64.b64decode(c["head_b64"])
        yield u8(2) + u8(1) + u16(1 << 15) + u8(1) + u8(0) + u8(1) + u16(len(head)) + blob(head)


def seeds_gateway_config():
    # Arbitrary-shaped; a few byte strings to start from.
    yield b"4M\x00" + b"\x01" * 64
    yield b"16m" + b"\x02\x00" * 32 + b"https://api.fast.io/current/"


# ------------------------------------------------------------ machine scripts
def um_header(flags=0, chunk_size=4096, size=10000, single_max=1000, in_flight=1, algo=1,
              attempts=3, max_polls=5, stream_max=None, target=2):
    h = u8(flags) + u16(chunk_size - 1) + u32(size) + u16(single_max)
    h += u8(0)  # max_chunks: none
    h += u8(0)  # max_file_size: none
    h += u8(in_flight) + u8(algo) + u8(attempts - 1)
    h += u32(120000 - 1) + u32(30000 - 1) + u16(5) + u8(max_polls)
    h += (u8(0) if stream_max is None else u8(1) + u16(stream_max))
    h += u64(0x5EED) + u8(1) + u8(target) + u16(0)
    return h


def um_answer(status_flag=1, chunks=None, listing=False, addfile=False, idx=0):
    """Op 0: a plausible session answer (id "up1", the default status)."""
    s = u8(0) + u8(idx) + u8(0)
    s += u8(1) + u8(1)            # an id, "up1"
    s += u8(status_flag)          # default status (odd) or picked
    s += u8(1)                    # new_file_id
    if chunks is None:
        s += u8(1)                # no chunk map
    else:
        s += u8(0) + b"".join(u8(2) if c else u8(0) for c in chunks)
    if listing:
        s += u8(1)                # the upload's own name; a listing is not wrapped
    else:
        if addfile:
            s += u8(0)            # the session, not a `node`
        s += u8(0)                # not wrapped in "session"
    return s + u8(0) + OK_HEAD + u8(1)


def um_limits(chunk=2048):
    # Op 0, template 0, one key (chunk_size) as a u16, not nested.
    return (u8(0) + u8(0) + u8(0) + u8(1) + u8(0) + u16(chunk) + u8(0) + u8(0) + u8(0)
            + OK_HEAD + u8(1))


READ = u8(4) + u8(1)


def seeds_upload_machine():
    # Chunked: create, three chunks one at a time, complete, stored.
    chunked = um_header() + um_answer()
    for _ in range(3):
        chunked += READ + um_answer()
    yield chunked + um_answer() + um_answer()
    # Three in flight.
    par = um_header(in_flight=3) + um_answer() + READ + READ + READ
    yield par + um_answer() + um_answer() + um_answer() + um_answer() + um_answer()
    # Single request, then a status poll.
    yield um_header(size=100) + READ + um_answer() + um_answer()
    # Limits first (fetch_limits), then chunked with the server's chunk size.
    lim = um_header(flags=4) + um_limits() + um_answer()
    for _ in range(5):
        lim += READ + um_answer()
    yield lim + um_answer() + um_answer()
    # Stream: create, stream send with two pieces, stored.
    yield (um_header(flags=2, stream_max=60000) + um_answer() + u8(6) + blob(b"x" * 300)
           + u8(6) + blob(b"y" * 200) + um_answer() + um_answer())
    # A transport error on a chunk, a retry after time passes.
    yield (um_header() + um_answer() + READ + u8(7) + u8(0) + blob("reset")
           + u8(8) + u32(60000) + um_answer() + READ + um_answer())
    # Snapshot after chunk 1, resume, the server holds chunk 1.
    yield (um_header() + um_answer() + READ + um_answer() + u8(10) + u8(0)
           + um_answer(chunks=[True, False, False]) + READ + um_answer() + READ + um_answer()
           + um_answer() + um_answer())
    # Placement after storing (add_to), unplaced session.
    yield (um_header(flags=8, size=5000, target=0) + um_answer() + READ + um_answer()
           + READ + um_answer() + um_answer() + um_answer() + um_answer(addfile=True))
    # A single request that fails ambiguously, then the listing finds it.
    yield (um_header(size=100) + READ + u8(7) + u8(0) + blob("") + u8(8) + u32(60000)
           + um_answer(listing=True) + um_answer())
    # Cancel mid-upload.
    yield um_header() + um_answer() + READ + u8(9) + u8(0) + um_answer()


def dl_header(flags=0, attempts=3, file=b"hello, fast.io\n" * 40):
    return u8(flags) + u8(attempts - 1) + blob(file) + u64(7) + u16(0)


def dl_details(algo=0, form=0):
    why = blob("not found") if form == 2 else b""
    return (u8(0) + u8(0) + u8(algo) + u8(0) + u8(1) + u8(form) + why + u8(0) + OK_HEAD + u8(1))


DL_TOKEN = u8(0) + u8(0) + blob("tok") + u8(0) + OK_HEAD + u8(1)
DL_HEAD = u8(0) + u8(0) + OK_HEAD + u8(1)
DL_END = u8(6)


def dl_data(n):
    return u8(5) + u8(1) + u16(n)


def seeds_download_machine():
    file = b"hello, fast.io\n" * 40
    n = len(file)
    for algo, form in ((0, 0), (1, 1), (2, 3), (4, 0), (6, 0)):
        yield dl_header(file=file) + dl_details(algo, form) + DL_TOKEN + DL_HEAD + dl_data(n) + DL_END
    # In pieces.
    yield (dl_header(file=file) + dl_details() + DL_TOKEN + DL_HEAD + dl_data(100)
           + dl_data(200) + dl_data(n) + DL_END)
    # A version: details, versions, token, read.
    yield (dl_header(flags=1, file=file) + dl_details() + u8(0) + u8(0) + blob("v1") + u8(2)
           + u8(0) + OK_HEAD + u8(1) + DL_TOKEN + DL_HEAD + dl_data(n) + DL_END)
    # A redirect of the read to a CDN, then the body.
    yield (dl_header(file=file) + dl_details() + DL_TOKEN + u8(4) + u8(0) + u8(0) + u8(2) + u8(0)
           + DL_HEAD + dl_data(n) + DL_END)
    # A failed details read, retried.
    yield (dl_header(file=file) + u8(7) + u8(0) + blob("refused") + u8(8) + u32(60000)
           + dl_details() + DL_TOKEN + DL_HEAD + dl_data(n) + DL_END)
    # The bulk answer naming an error; require_hash with none given.
    yield dl_header(flags=2, file=file) + dl_details(form=2)
    yield dl_header(file=b"") + dl_details() + DL_TOKEN + DL_HEAD + DL_END


def aw_header(budget=60000, poll=20):
    return (u16(budget // 4) + u8(poll) + u16(2000) + u16(30000) + u16(30000) + u64(1)
            + u8(1) + u32(0))


def aw_details(state):
    ask = u8(1) + blob("which quarter?") if state == 2 else b""
    return u8(0) + u8(0) + u8(state) + blob("the answer") + ask + u8(1) + u8(0) + OK_HEAD + u8(1)


def aw_later(ms):
    return u8(5) + u32(ms) + u8(0)


def aw_poll(cursor):
    return u8(0) + u8(0) + u8(2) + blob(cursor) + blob("ai_state:c1") + u8(0) + OK_HEAD + u8(1)


def seeds_ai_wait():
    yield aw_header() + aw_details(0)
    yield aw_header() + aw_details(3) + aw_poll("c1") + aw_details(0)
    yield (aw_header() + aw_details(4) + aw_poll("c1") + aw_later(5000) + aw_details(5)
           + aw_poll("c2") + aw_details(2))
    yield aw_header() + aw_details(3) + u8(4) + u8(0) + blob("reset") + aw_later(3000) + aw_poll("c9")
    yield aw_header(budget=4000, poll=1) + aw_details(6) + aw_later(5000)


TARGETS = {
    "decode_models": seeds_decode_models,
    "decode_response": seeds_decode_response,
    "webhook_event": seeds_webhook_event,
    "webhook_headers": seeds_webhook_headers,
    "resume_token": seeds_resume_token,
    "grant_verify": seeds_grant_verify,
    "upload_limits": seeds_upload_limits,
    "upload_machine": seeds_upload_machine,
    "download_machine": seeds_download_machine,
    "ai_wait": seeds_ai_wait,
    "devserver_params": seeds_devserver_params,
    "devserver_multipart": seeds_devserver_multipart,
    "devserver_range": seeds_devserver_range,
    "gateway_request": seeds_gateway_request,
    "gateway_relay": seeds_gateway_relay,
    "gateway_config": seeds_gateway_config,
}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    total = 0
    for target, make in TARGETS.items():
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        written = 0
        for data in make():
            if not data or len(data) > MAX_SEED:
                continue
            path = os.path.join(folder, hashlib.sha1(data).hexdigest())
            if check:
                if not os.path.exists(path):
                    stale.append(path)
                continue
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(data)
            written += 1
            total += len(data)
        if not check:
            print("%-20s %4d seeds" % (target, written))
    if check:
        for p in stale:
            print("missing seed: %s" % os.path.relpath(p, ROOT))
        return 1 if stale else 0
    print("%d bytes in all" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
