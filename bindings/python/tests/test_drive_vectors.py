"""Replays the driver traces of tests/vectors/drive through the wheel: every
action ``Upload`` hands the host, in order, and what each answer fed back
becomes (``Fed.ACCEPTED``, ``Fed.IGNORED``, or a ``FastioError`` for misuse)."""

from __future__ import annotations

import json
import pathlib
import urllib.parse
from typing import Any, Callable, Dict, List, Tuple

import pytest

import fastio_core as fc

DRIVE = pathlib.Path(__file__).resolve().parents[3] / "tests" / "vectors" / "drive" / "upload.json"
DOC: Dict[str, Any] = json.loads(DRIVE.read_text())
CASES: List[Dict[str, Any]] = DOC["cases"]

# Steps checked per case, filled as the cases run (the last test compares them
# with the steps the file lists, so no case can pass without running them all).
CHECKED: Dict[str, int] = {}


def _pattern(size: int) -> bytes:
    assert DOC["file"]["kind"] == "pattern"
    block = bytes(i % 251 for i in range(251))
    return (block * (size // 251 + 1))[:size]


def _options(o: Dict[str, Any]) -> fc.UploadOptions:
    limits = fc.default_plan_limits()
    if "chunk_size" in o:
        limits.chunk_size = o["chunk_size"]
    if "single_request_max" in o:
        limits.single_request_max = o["single_request_max"]
    if "parallel" in o:
        limits.max_in_flight = o["parallel"]
    return fc.UploadOptions(
        limits=limits,
        request_timeout_ms=o.get("request_timeout_ms"),
        seed=o.get("seed"),
        fetch_limits=o.get("fetch_limits") is True,
        persist_token=o.get("persist_token") is True,
        file_digest=o.get("file_digest"),
        verify_stored=o.get("verify_stored") is True,
    )


def _check_send(at: str, want: Dict[str, Any], base: str, request: fc.Request) -> None:
    assert request.method == want["method"], f"{at}: method of {request.url}"
    assert request.url.startswith(base), f"{at}: {request.url} is not under {base}"
    path, _, query = request.url[len(base):].partition("?")
    assert path == want["path"], f"{at}: path"
    got = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
    for k, v in want.get("query", {}).items():
        assert got.get(k) == v, f"{at}: query {k} in {request.url}"


def _fed(call: Callable[[], fc.Fed]) -> str:
    try:
        fed = call()
    except fc.FastioError:
        return "misuse"
    assert isinstance(fed, fc.Fed), fed
    return {fc.Fed.ACCEPTED: "accepted", fc.Fed.IGNORED: "ignored"}[fed]


def _answer(a: Dict[str, Any]) -> fc.Response:
    return fc.Response(status=a["status"], headers=[], body=a["body"].encode())


def _pull(at: str, up: fc.Upload, now: int, step: Dict[str, Any], base: str, ids: Dict[str, int], reads: Dict[str, Tuple[int, int]]) -> None:
    want = step["pull"]
    (kind, w), = want.items()
    if kind == "failed":
        assert w == "integrity", f"{at}: unknown failure {w}"
        with pytest.raises(fc.FastioError.Integrity):
            up.next_action(now)
        return
    got = up.next_action(now)
    if kind == "none":
        assert got is None, f"{at}: wanted nothing, got {got!r}"
    elif kind == "send":
        assert isinstance(got, fc.UploadAction.SEND), f"{at}: wanted a send, got {got!r}"
        _check_send(at, w, base, got.request)
        if "as" in step:
            ids[step["as"]] = got.id
    elif kind == "read":
        assert isinstance(got, fc.UploadAction.READ), f"{at}: wanted a read, got {got!r}"
        assert (got.offset, got.len) == (w["offset"], w["len"]), at
        ids[step["as"]] = got.id
        reads[step["as"]] = (got.offset, got.len)
    elif kind == "wait":
        assert isinstance(got, fc.UploadAction.WAIT), f"{at}: wanted a wait, got {got!r}"
        assert got.until_ms == w, at
    elif kind == "persist":
        assert isinstance(got, fc.UploadAction.PERSIST), f"{at}: wanted a persist, got {got!r}"
        token = json.loads(got.token_json)
        assert token["upload_id"] == w["upload_id"], at
        assert [a["order"] for a in token["acked"]] == w["acked"], at
        # The token is one the core takes back.
        fc.Upload.resume(fc.CoreClient(base, DOC["api_key"], None), got.token_json, fc.UploadOptions())
    elif kind == "progress":
        assert isinstance(got, fc.UploadAction.PROGRESS), f"{at}: wanted progress, got {got!r}"
        assert (got.progress.chunks_acked, got.progress.bytes_acked) == (w["chunks_acked"], w["bytes_acked"]), at
    elif kind == "done":
        assert isinstance(got, fc.UploadAction.DONE), f"{at}: wanted done, got {got!r}"
        assert (got.node_id, got.size) == (w["node_id"], w["size"]), at
        stored = {fc.StoredCheck.NOT_ASKED: "not_asked", fc.StoredCheck.MATCHED: "matched", fc.StoredCheck.UNAVAILABLE: "unavailable"}
        assert stored[type(got.stored)] == w["stored"], f"{at}: {got.stored!r}"
        digest = None if got.digest is None else {"algo": got.digest.algo, "hex": got.digest.hex}
        assert digest == w["digest"], at
    else:
        raise AssertionError(f"{at}: unknown pull {kind}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_drive_vector(case: Dict[str, Any]) -> None:
    assert case["machine"] == "upload"
    name = case["name"]
    base = DOC["base_url"]
    client = fc.CoreClient(base, DOC["api_key"], None)
    s = case["spec"]
    data = _pattern(s["size"])
    req = fc.UploadRequest(name=s["name"], size=s["size"], target=fc.Target.WORKSPACE(s["workspace"]), folder_id=s["folder"])
    up = fc.Upload(client, req, _options(case["options"]))
    now = 0
    ids: Dict[str, int] = {}
    reads: Dict[str, Tuple[int, int]] = {}
    checked = 0
    for i, step in enumerate(case["steps"]):
        at = f"{name} step {i}"
        if "pull" in step:
            _pull(at, up, now, step, base, ids, reads)
        elif "respond" in step:
            n = step["respond"]
            got = _fed(lambda: up.on_response(ids[n], _answer(step["answer"]), now))
            assert got == step["fed"], at
        elif "data" in step:
            n = step["data"]
            offset, length = reads[n]
            got = _fed(lambda: up.on_data(ids[n], data[offset : offset + length], now))
            assert got == step["fed"], at
        elif "transport_error" in step:
            n = step["transport_error"]
            got = _fed(lambda: up.on_transport_error(ids[n], "connection reset", now))
            assert got == step["fed"], at
        elif "timeout" in step:
            now = step["timeout"]
            up.on_timeout(now)
        elif "clock" in step:
            now = step["clock"]
        else:
            raise AssertionError(f"{at}: unknown step {step}")
        checked += 1
    assert checked == len(case["steps"]) > 0
    CHECKED[name] = checked


def test_every_drive_step_was_checked() -> None:
    """Runs after the cases (pytest keeps file order): all of them ran, every step."""
    assert len(CASES) >= 5
    want = {c["name"]: len(c["steps"]) for c in CASES}
    assert CHECKED == want, (CHECKED, want)
    print(f"drive vectors: {sum(CHECKED.values())} steps in {len(CHECKED)} cases")


# ---- pager traces (tests/vectors/drive/pager.json): the core's one pager,
# walked the way `Client.pages` walks it.

PAGER: Dict[str, Any] = json.loads((DRIVE.parent / "pager.json").read_text())
PAGER_CASES: List[Dict[str, Any]] = PAGER["cases"]
PAGER_CHECKED: Dict[str, int] = {}


def _check_request(at: str, want: Dict[str, Any], base: str, request: fc.Request) -> None:
    _check_send(at, want, base, request)
    query = request.url.partition("?")[2]
    names = {p.split("=", 1)[0] for p in query.split("&") if p}
    for k in want.get("absent", []):
        assert k not in names, f"{at}: {k} must be absent from {request.url}"


@pytest.mark.parametrize("case", PAGER_CASES, ids=[c["name"] for c in PAGER_CASES])
def test_pager_vector(case: Dict[str, Any]) -> None:
    name = case["name"]
    base = PAGER["base_url"]
    client = fc.CoreClient(base, PAGER["api_key"], None)
    if "refused" in case:
        with pytest.raises(fc.FastioError.InvalidInput) as e:
            fc.Pager(client, json.dumps(case["call"]), case.get("max_pages"))
        assert e.value.kind == case["refused"]
        PAGER_CHECKED[name] = 1
        return
    pager = fc.Pager(client, json.dumps(case["call"]), case.get("max_pages"))
    for i, step in enumerate(case["steps"]):
        at = f"{name} step {i}"
        if "end" in step:
            assert pager.next_request() is None, at
            assert pager.is_done(), at
        elif "next_error" in step:
            with pytest.raises(fc.FastioError.Transfer) as e:
                pager.next_request()
            assert e.value.kind == step["next_error"], at
        else:
            request = pager.next_request()
            assert request is not None, f"{at}: a page is due"
            _check_request(at, step["request"], base, request)
            if "page" in step:
                page = pager.on_response(_answer(step["answer"]))
                assert [json.loads(i)["id"] for i in page.items_json] == step["page"]["items"], at
                assert page.done == step["page"]["done"] == pager.is_done(), at
                assert page.degraded == step["page"].get("degraded", []), at
            else:
                want = step["error"]["api"]
                with pytest.raises(fc.FastioError.Api) as e:
                    pager.on_response(_answer(step["answer"]))
                assert e.value.status == want["status"], at
                if "kind" in want:
                    assert e.value.kind == want["kind"], at
    PAGER_CHECKED[name] = max(1, len(case["steps"]))


def test_every_pager_case_was_checked() -> None:
    """Runs after the pager cases: every one of them ran."""
    assert len(PAGER_CASES) >= 8
    assert PAGER_CHECKED == {c["name"]: max(1, len(c["steps"])) for c in PAGER_CASES}


# ---- download traces (tests/vectors/drive/download.json): every action `Download` hands
# the host, in order, the streamed body fed piece by piece, and the verdict.

DOWNLOAD: Dict[str, Any] = json.loads((DRIVE.parent / "download.json").read_text())
DOWNLOAD_CASES: List[Dict[str, Any]] = DOWNLOAD["cases"]
DOWNLOAD_CHECKED: Dict[str, int] = {}

# How each failure kind of the trace is thrown from `next_action`.
DOWNLOAD_FAILURES = {"integrity": fc.FastioError.Integrity}


def _download_pull(at: str, d: fc.Download, now: int, step: Dict[str, Any], base: str, ids: Dict[str, int]) -> None:
    (kind, w), = step["pull"].items()
    if kind == "failed":
        assert w in DOWNLOAD_FAILURES, f"{at}: no UniFFI error for the failure kind {w!r}"
        with pytest.raises(DOWNLOAD_FAILURES[w]):
            d.next_action(now)
        return
    got = d.next_action(now)
    if kind == "none":
        assert got is None, f"{at}: wanted nothing, got {got!r}"
    elif kind == "send":
        assert isinstance(got, fc.DownloadAction.SEND), f"{at}: wanted a send, got {got!r}"
        assert got.streams_body is w["stream"], f"{at}: stream"
        if "url" in w:
            assert got.request.method == w["method"], f"{at}: method"
            assert got.request.url == w["url"], f"{at}: url"
        else:
            _check_request(at, w, base, got.request)
        if "credentials" in w:
            has = any(h.name.lower() == "authorization" for h in got.request.headers)
            assert has is w["credentials"], f"{at}: credentials"
        ids[step["as"]] = got.id
    elif kind == "wait":
        assert isinstance(got, fc.DownloadAction.WAIT), f"{at}: wanted a wait, got {got!r}"
        assert got.until_ms == w, f"{at}: wait {got.until_ms}"
    elif kind == "progress":
        assert isinstance(got, fc.DownloadAction.PROGRESS), f"{at}: wanted progress, got {got!r}"
        assert (got.bytes, got.total) == (w["bytes"], w.get("total")), f"{at}: {got!r}"
    elif kind == "done":
        assert isinstance(got, fc.DownloadAction.DONE), f"{at}: wanted done, got {got!r}"
        assert (got.size, got.sha256) == (w["size"], w["sha256"]), f"{at}: {got!r}"
    else:
        raise AssertionError(f"{at}: unknown pull {kind}")


@pytest.mark.parametrize("case", DOWNLOAD_CASES, ids=[c["name"] for c in DOWNLOAD_CASES])
def test_download_vector(case: Dict[str, Any]) -> None:
    assert DOWNLOAD["file"]["kind"] == "pattern"
    name = case["name"]
    base = DOWNLOAD["base_url"]
    client = fc.CoreClient(base, DOWNLOAD["api_key"], None)
    spec = DOWNLOAD["spec"]
    data = _pattern(DOWNLOAD["file"]["size"])
    req = fc.DownloadRequest(target=fc.Target.WORKSPACE(spec["workspace"]), node_id=spec["node"], version_id=None, require_hash=False)
    d = fc.Download(client, req, fc.DownloadOptions(seed=DOWNLOAD["seed"]))
    now = 0
    ids: Dict[str, int] = {}
    checked = 0
    for i, step in enumerate(case["steps"]):
        at = f"{name} step {i}"
        if "pull" in step:
            _download_pull(at, d, now, step, base, ids)
        elif "respond" in step:
            n = step["respond"]
            a = step["answer"]
            headers = [fc.Header(name=k, value=v) for k, v in a.get("headers", [])]
            resp = fc.Response(status=a["status"], headers=headers, body=a["body"].encode())
            got = _fed(lambda: d.on_response(ids[n], resp, now))
            assert got == step["fed"], f"{at}: {got}"
        elif "data" in step:
            n = step["data"]
            lo, hi = step["range"]
            got = _fed(lambda: d.on_data(ids[n], data[lo:hi]))
            assert got == step["fed"], f"{at}: {got}"
        elif "end" in step:
            n = step["end"]
            got = _fed(lambda: d.on_end(ids[n]))
            assert got == step["fed"], f"{at}: {got}"
        elif "transport_error" in step:
            n = step["transport_error"]
            got = _fed(lambda: d.on_transport_error(ids[n], "connection reset", now))
            assert got == step["fed"], f"{at}: {got}"
        elif "timeout" in step:
            now = step["timeout"]
            d.on_timeout(now)
        elif "clock" in step:
            now = step["clock"]
        else:
            raise AssertionError(f"{at}: unknown step {step}")
        checked += 1
    assert checked == len(case["steps"]) > 0
    DOWNLOAD_CHECKED[name] = checked


def test_every_download_step_was_checked() -> None:
    """Runs after the download cases: all of them ran, every step."""
    assert len(DOWNLOAD_CASES) >= 4
    want = {c["name"]: len(c["steps"]) for c in DOWNLOAD_CASES}
    assert DOWNLOAD_CHECKED == want, (DOWNLOAD_CHECKED, want)
    assert sum(DOWNLOAD_CHECKED.values()) >= 40
    print(f"download vectors: {sum(DOWNLOAD_CHECKED.values())} steps in {len(DOWNLOAD_CHECKED)} cases")
