#!/usr/bin/env python3
"""Writes docs/contract.md, the table of every endpoint fastio-core speaks,
from the conformance vectors that pin it (tests/vectors/requests and
tests/vectors/responses). Each row names the vectors and the evidence they
carry, so the table cannot claim a shape no vector checks.

    python3 docs/generate_contract.py          rewrite docs/contract.md
    python3 docs/generate_contract.py --check  fail if it is out of date
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
OUT = ROOT / "docs" / "contract.md"
BASE = "https://api.fast.io/current/"

# What the server requires where the vectors alone do not say it, and the
# retry class of calls that differ from the rule (every envelope call is
# resent after a 502/503/504 or a transport failure; 500 and other 4xx never).
NOTES = {
    ("orgs", "create_workspace"): "requires folder_name, name, perm_join, perm_member_manage, intelligence (sent with the CLI's defaults: Member or above, Admin or above, false)",
    ("shares", "create"): "requires title and intelligence (intelligence defaults to false); share_type defaults to exchange on the server",
    ("shares", "delete"): "confirm required (the share id or custom name), in the DELETE form body",
    ("fileshares", "create"): "field node, not node_id; expires or expires_at, never both; answer {result, fileshare}",
    ("storage", "details"): "1-25 ids joined by unencoded commas; a lone id is sent twice so the answer is always multi",
    ("storage", "unlock"): "lock_token in the DELETE form body",
    ("storage", "request_read"): "no parameters; a version is chosen on read",
    ("storage", "read"): "no Authorization (the token authorises); version_id only here; a 3xx is followed without credentials",
    ("storage", "create_folder"): "without force an existing folder is returned (safe to repeat); force=true makes a renamed one",
    ("storage", "search"): "search, files_scope, folders_scope, limit (1-500), offset, details, output",
    ("upload", "single"): "multipart text fields name, size, action, instance_id, folder_id, profile_type, then hash_algo+hash (whole-body CRC32C), then part chunk",
    ("upload", "chunk"): "order, size, hash_algo, hash, file_crc32c in the query; part chunk",
    ("upload", "complete"): "an empty form",
    ("upload", "add_file"): "form name and from ({type: upload} or, in a share, {type: hash})",
    ("upload", "stream_send"): "not resent after a 5xx or timeout: the bytes went out as they came",
    ("upload", "batch"): "manifest hash and hash_algo only as a pair",
    ("events", "activity_poll"): "lastactivity is an opaque string cursor sent back verbatim; wait at most 95",
    ("subscriptions", "*"): "unverified: the official client has no builder for outbound webhook subscriptions (the family was retired, fastio_cli AGENTS.md:96-97 @96b1551)",
    ("auth", "oauth_revoke"): "unverified: the official client revokes through DELETE oauth/sessions/{id}/",
}


def template(call_group, call, url):
    """The path of a request with the call's parameters put back as names."""
    path = url[len(BASE):] if url.startswith(BASE) else url
    path, _, query = path.partition("?")
    values = {}
    for key, value in call.items():
        if key == "op":
            continue
        if key == "profile" and isinstance(value, dict):
            for kind, ident in value.items():
                values[str(ident)] = "{" + kind + "_id}"
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            values[str(value)] = "{" + key + "}"
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            values[",".join(value)] = "{" + key + "}"
    segs = []
    for seg in path.split("/"):
        if seg in values:
            segs.append(values[seg])
        elif "," in seg:
            segs.append("{ids}")
        else:
            segs.append(seg)
    return "/".join(segs), query


def placement(expect, query):
    where = []
    if query:
        keys = sorted({kv.split("=")[0] for kv in query.split("&") if kv})
        where.append("query: " + ", ".join(keys))
    body = expect.get("body")
    ctype = next((v for k, v in expect.get("headers", []) if k.lower() == "content-type"), "")
    text = body.get("text") if isinstance(body, dict) else None
    if ctype.startswith("application/x-www-form-urlencoded"):
        keys = [kv.split("=")[0] for kv in (text or "").split("&") if kv]
        where.append("form: " + (", ".join(keys) if keys else "(empty)"))
    elif ctype.startswith("multipart/form-data") and text is not None:
        names = re.findall(r'name="([^"]+)"', text)
        where.append("multipart: " + ", ".join(names))
    elif ctype.startswith("application/json") and text is not None:
        try:
            where.append("json: " + ", ".join(json.loads(text).keys()))
        except (ValueError, AttributeError):
            where.append("json")
    elif ctype:
        where.append("body: " + ctype)
    auth = any(k == "Authorization" for k, _ in expect.get("headers", []))
    return "; ".join(where) or "(none)", auth


def request_rows():
    rows = {}
    for path in sorted((VECTORS / "requests").glob("*.json")):
        doc = json.loads(path.read_text())
        for case in doc["cases"]:
            expect = case.get("expect")
            if not isinstance(expect, dict) or "method" not in expect:
                continue
            (group, call), = case["call"].items()
            op = call.get("op", "")
            tpl, query = template(group, call, expect["url"])
            where, auth = placement(expect, query)
            key = (expect["method"], tpl)
            row = rows.setdefault(key, {"ops": set(), "where": set(), "auth": set(), "vectors": [], "evidence": set()})
            row["ops"].add((group, op))
            row["where"].add(where)
            row["auth"].add(auth)
            row["vectors"].append(f"{path.stem}/{case['name']}")
            row["evidence"].add(case.get("evidence", "fastio-api.md"))
    return rows


def response_rows():
    out = []
    for path in sorted((VECTORS / "responses").glob("*.json")):
        doc = json.loads(path.read_text())
        for case in doc["cases"]:
            expect = case.get("expect") or {}
            outcome = "error" if "error" in expect else "ok"
            retry = (expect.get("error") or {}).get("retry", {}).get("kind", "")
            out.append((path.stem, case["name"], case.get("decode", ""), case["response"]["status"], outcome, retry, case.get("evidence", "fastio-api.md")))
    return out


def esc(s):
    return str(s).replace("|", "\\|")


def render():
    lines = [
        "# The wire contract fastio-core speaks",
        "",
        "Generated by `docs/generate_contract.py` from the conformance vectors; do not edit by hand",
        "(`tests/run.sh` fails when it is out of date). Evidence `fastio_cli <file>:<lines> @<commit>`",
        "is the official Fast.io CLI's public source (repository MediaFire/fastio_cli); `fastio-api.md` is",
        "the public API documentation, used where the CLI is silent.",
        "",
        "Retry class: every call is resent after HTTP 502, 503 or 504 or a transport failure, with",
        "backoff; 500, 501 and other 4xx are final; a 429 carries when to retry and is waited for",
        "automatically only inside uploads (fastio_cli src/client.rs:41-44, 1946-2021 @96b1551).",
        "Exceptions are noted per row.",
        "",
        "## Requests",
        "",
        "| method | path | parameters | bearer | notes | evidence | vectors |",
        "|---|---|---|---|---|---|---|",
    ]
    for (method, tpl), row in sorted(request_rows().items(), key=lambda kv: (kv[0][1], kv[0][0])):
        notes = "; ".join(sorted(
            {NOTES[o] for o in row["ops"] if o in NOTES} | {NOTES[(g, "*")] for g, _ in row["ops"] if (g, "*") in NOTES}))
        bearer = "/".join(sorted({"yes" if a else "no" for a in row["auth"]}))
        lines.append("| {} | `{}` | {} | {} | {} | {} | {} |".format(
            method, esc(tpl), esc(" / ".join(sorted(row["where"]))), bearer, esc(notes),
            esc("; ".join(sorted(row["evidence"]))), esc(", ".join(row["vectors"]))))
    lines += [
        "",
        "## Answers",
        "",
        "| vector | decoded as | status | outcome | retry | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for stem, name, decode, status, outcome, retry, ev in response_rows():
        lines.append(f"| {stem}/{esc(name)} | {esc(decode)} | {status} | {outcome} | {retry} | {esc(ev)} |")
    return "\n".join(lines) + "\n"


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print("docs/contract.md is out of date: run python3 docs/generate_contract.py", file=sys.stderr)
            return 1
        print("ok: docs/contract.md matches the vectors")
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
