"""Uploads, resumes and downloads against a real local devserver."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import urllib.request
from typing import Any, Dict, List

import pytest

import fastio_core as fc
from fastio_core import Client

from conftest import workspace_of



@pytest.fixture(scope="module")
def env(devserver: Any) -> Any:
    client = Client(devserver.api_key, base_url=devserver.base_url, timeout=60)
    return client, workspace_of(client, "e2e")


def _file(tmp: pathlib.Path, name: str, size: int) -> pathlib.Path:
    p = tmp / name
    block = bytes(i % 251 for i in range(65536))
    with open(p, "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return p


def _small_chunks() -> fc.UploadOptions:
    limits = fc.default_plan_limits()
    limits.single_request_max = 100_000
    limits.chunk_size = 128 * 1024
    return fc.UploadOptions(limits=limits, poll_wait_s=5)


def test_parallel_chunked_upload_and_verified_download(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    src = _file(tmp_path, "big.bin", 1_000_003)
    seen: List[fc.Progress] = []
    res = client.upload(src, workspace=ws, parallel=3, progress=seen.append, options=_small_chunks())
    assert res.node_id and res.size == 1_000_003
    assert seen and seen[-1].chunks_total == 8 and seen[-1].bytes_acked == 1_000_003
    names = [n.get("name") for n in client.list(ws)]
    assert "big.bin" in names
    out = tmp_path / "back.bin"
    got = client.download(res.node_id, out, workspace=ws)
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    assert got.sha256 == want and got.checked_algo is not None
    assert hashlib.sha256(out.read_bytes()).hexdigest() == want


def test_server_limits_replace_the_chunk_size_given(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    stated = client.call({"upload": {"op": "limits"}})
    chunk = stated.get("chunk_size") or stated.get("response", {}).get("chunk_size")
    assert isinstance(chunk, int) and chunk != 128 * 1024, stated
    src = _file(tmp_path, "limited.bin", 9 * 1024 * 1024 + 5)
    seen: List[fc.Progress] = []
    res = client.upload(src, workspace=ws, progress=seen.append, options=_small_chunks(), server_limits=True)
    assert res.size == 9 * 1024 * 1024 + 5
    assert seen[-1].chunks_total == -(-res.size // chunk), (seen[-1], chunk)
    # Without it the options given are used as they are.
    seen2: List[fc.Progress] = []
    client.upload(src, workspace=ws, progress=seen2.append, options=_small_chunks())
    assert seen2[-1].chunks_total == -(-res.size // (128 * 1024))


def test_single_request_upload(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    src = _file(tmp_path, "small.txt", 1234)
    res = client.upload(src, workspace=ws)
    assert res.size == 1234 and res.node_id
    got = client.download(res.node_id, tmp_path / "small.out", workspace=ws)
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


class _Stop(Exception):
    pass


def test_resume_after_interruption(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    src = _file(tmp_path, "resume.bin", 700_000)
    token = tmp_path / "resume.token"

    def stop_after_two(p: fc.Progress) -> None:
        if p.chunks_acked >= 2:
            raise _Stop()

    opts = _small_chunks()
    with pytest.raises(_Stop):
        client.upload(src, workspace=ws, parallel=1, progress=stop_after_two, token_file=token, options=opts)
    saved = json.loads(token.read_text())
    assert len(saved["acked"]) >= 2
    sent: List[int] = []
    res = client.resume(token, src, parallel=2, progress=lambda p: sent.append(p.chunks_acked), options=_small_chunks())
    assert res.size == 700_000 and res.node_id
    assert not token.exists(), "the token is removed once the file is stored"
    got = client.download(res.node_id, tmp_path / "resume.out", workspace=ws)
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_download_of_missing_node_is_an_api_error(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    with pytest.raises(fc.FastioError.Api) as ei:
        client.download("no-such-node", tmp_path / "x", workspace=ws)
    assert ei.value.status == 404
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def test_bad_key_is_refused_with_status_and_no_secret_in_message(devserver: Any, tmp_path: pathlib.Path) -> None:
    client = Client("wrong-key-123", base_url=devserver.base_url)
    with pytest.raises(fc.FastioError.Api) as ei:
        client.call({"orgs": {"op": "list"}})
    assert ei.value.status == 401
    assert "wrong-key-123" not in str(ei.value) and "wrong-key-123" not in repr(ei.value)


def test_share_and_ask(env: Any, tmp_path: pathlib.Path) -> None:
    client, ws = env
    share = client.share(ws, "Deliverables")
    assert share.get("id")
    doc = tmp_path / "notes.txt"
    doc.write_text("The quarterly budget is forty two.\nNothing else here.\n")
    client.upload(doc, workspace=ws)
    answer = client.ask(ws, "What is the quarterly budget?", timeout_s=60)
    assert answer["state"] == "complete"
    assert "forty two" in (answer["answer"] or "")
    assert answer["citations"] and answer["clarification"] is None


def _faults(env_origin: str, config: Dict[str, Any]) -> Dict[str, Any]:
    """Sets the devserver's fault schedule (an empty config clears it)."""
    req = urllib.request.Request(f"{env_origin}/_dev/faults", data=json.dumps(config).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def _fault_log(env_origin: str) -> List[Any]:
    with urllib.request.urlopen(f"{env_origin}/_dev/faults", timeout=10) as r:
        return json.loads(r.read()).get("injected", [])


def test_a_redirected_token_read_is_followed_by_the_core(env: Any, devserver: Any, tmp_path: pathlib.Path) -> None:
    # The read carries no credentials, so its 3xx is followed (by the core's
    # download machine, not by the HTTP client), and the bytes still verify.
    client, ws = env
    src = _file(tmp_path, "moved.bin", 70_001)
    res = client.upload(src, workspace=ws)
    _faults(devserver.origin, {"path_contains": "/read/", "schedule": [{"request": 1, "fault": "redirect"}]})
    try:
        got = client.download(res.node_id, tmp_path / "moved.out", workspace=ws)
        log = _fault_log(devserver.origin)
    finally:
        _faults(devserver.origin, {})
    assert any("redirect" in json.dumps(entry) for entry in log), log
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_a_redirected_credentialed_request_fails_closed(env: Any, devserver: Any, tmp_path: pathlib.Path) -> None:
    # The details request carries the bearer: its 3xx is an error, never followed.
    client, ws = env
    src = _file(tmp_path, "stay.bin", 1_001)
    res = client.upload(src, workspace=ws)
    _faults(devserver.origin, {"path_contains": "/details/", "schedule": [{"request": 1, "fault": "redirect"}]})
    try:
        with pytest.raises(fc.FastioError.Api) as ei:
            client.download(res.node_id, tmp_path / "stay.out", workspace=ws)
    finally:
        _faults(devserver.origin, {})
    assert ei.value.status == 307
    assert not (tmp_path / "stay.out").exists()


def test_a_429_costs_only_its_stated_wait(env: Any, devserver: Any, tmp_path: pathlib.Path) -> None:
    # The devserver's 429 says the window reopens in a second (x-ve-limit-expires
    # against its own Date); the core turns that into a one-second wait, so the
    # upload is not held for the 300 s cap a misread clock would give.
    import time

    client, ws = env
    src = _file(tmp_path, "limited.bin", 300_000)
    _faults(devserver.origin, {"path_contains": "/upload/", "schedule": [{"request": 1, "fault": "429"}]})
    try:
        t0 = time.monotonic()
        res = client.upload(src, workspace=ws, options=_small_chunks())
        elapsed = time.monotonic() - t0
        log = _fault_log(devserver.origin)
    finally:
        _faults(devserver.origin, {})
    assert any("429" in json.dumps(entry) for entry in log), log
    assert res.size == 300_000
    assert elapsed < 20, f"one 429 cost {elapsed:.1f} s"


def test_files_beside_the_target_are_never_touched(env: Any, tmp_path: pathlib.Path) -> None:
    # The driver's temporary files get fresh, exclusive names: a user's own
    # `report.bin.part` or `token.json.tmp` survives a download and an upload.
    client, ws = env
    src = _file(tmp_path, "report.bin", 200_000)
    mine = {tmp_path / "back.bin.part": b"my notes", tmp_path / "token.json.tmp": b"keep me"}
    for p, data in mine.items():
        p.write_bytes(data)
    res = client.upload(src, workspace=ws, options=_small_chunks(), token_file=tmp_path / "token.json")
    client.download(res.node_id, tmp_path / "back.bin", workspace=ws)
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    for p, data in mine.items():
        assert p.read_bytes() == data, p
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers
