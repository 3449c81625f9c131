"""Uploads, resumes and downloads against a real local devserver."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import time
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


def test_a_listing_of_one_item_per_page_is_walked_to_its_end(env: Any) -> None:
    client, ws = env
    org = str(next(client.items({"orgs": {"op": "list"}}))["id"])
    made = [
        str(client.call({"orgs": {"op": "create_workspace", "org_id": org, "name": f"paged-{n}", "folder_name": f"paged-{n}"}}, decode="workspace")["id"])
        for n in (1, 2)
    ]
    pages = list(client.pages({"orgs": {"op": "all_workspaces", "limit": 1}}))
    ids = [str(json.loads(i)["id"]) for p in pages for i in p.items_json]
    assert len(pages) >= 3 and all(len(p.items_json) <= 1 for p in pages) and pages[-1].done
    assert len(set(ids)) == len(ids) and set(made + [ws]) <= set(ids)


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


def test_digests_only_when_asked_and_the_stored_node_checked(env: Any, tmp_path: pathlib.Path) -> None:
    """The server checks the CRC32C; another whole-file digest is computed
    only when asked for, and ``verify_stored`` compares the stored node's hash
    (MD5 here, as the service stores nodes) with the bytes read."""
    client, ws = env
    src = _file(tmp_path, "digests.bin", 600_001)
    data = src.read_bytes()
    plain = client.upload(src, workspace=ws, options=_small_chunks())
    assert plain.digest is None and plain.stored.is_NOT_ASKED()
    assert len(plain.crc32c) == 8
    sha = client.upload(src, workspace=ws, options=_small_chunks(), digest="sha256")
    assert (sha.digest.algo, sha.digest.hex) == ("sha256", hashlib.sha256(data).hexdigest())
    assert sha.crc32c == plain.crc32c
    checked = client.upload(src, workspace=ws, options=_small_chunks(), verify_stored=True)
    assert checked.stored.is_MATCHED(), checked.stored
    assert (checked.digest.algo, checked.digest.hex) == ("md5", hashlib.md5(data).hexdigest())
    # A digest in another algorithm than the node's cannot be compared: said.
    other = client.upload(src, workspace=ws, digest="sha1", verify_stored=True)
    assert other.stored.is_UNAVAILABLE() and "md5" in other.stored.reason, other.stored
    with pytest.raises(fc.FastioError.InvalidInput):
        client.upload(src, workspace=ws, digest="whirlpool")


def test_chunks_are_written_from_the_file_not_copied_back(env: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver keeps the chunks it read: chunk requests name a range of the
    file and the driver writes it, except a chunk holding the multipart
    boundary mark, which the core keeps and sends itself. Either way the
    stored file is the source, byte for byte."""
    from fastio_core import driver
    client, ws = env
    src = _file(tmp_path, "kept.bin", 700_000)
    data = bytearray(src.read_bytes())
    data[300_000:300_009] = b"--fastio-"  # in the third 128 KiB chunk
    src.write_bytes(bytes(data))
    kinds: List[str] = []
    real = driver._body_parts

    def spy(request: fc.Request, source: Any = None) -> List[bytes]:
        if "/chunk/" in request.url:
            kinds.append("source" if any(isinstance(p, fc.BodyPart.SOURCE) for p in request.body) else "inline")
        return real(request, source)

    monkeypatch.setattr(driver, "_body_parts", spy)
    res = client.upload(src, workspace=ws, options=_small_chunks())
    assert len(kinds) == 6 and kinds[2] == "inline" and kinds.count("source") == 5, kinds
    out = tmp_path / "kept.out"
    client.download(res.node_id, out, workspace=ws)
    assert out.read_bytes() == bytes(data)


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
    # The core saved the token (at least once, when the session began); the
    # chunks it lists are a subset of those acknowledged, and resuming asks
    # the server for the rest.
    saved = json.loads(token.read_text())
    assert saved["upload_id"] and len(saved["acked"]) <= 2
    sent: List[int] = []
    res = client.resume(token, src, parallel=2, progress=lambda p: sent.append(p.chunks_acked), options=_small_chunks())
    assert res.size == 700_000 and res.node_id
    assert not token.exists(), "the token is removed once the file is stored"
    got = client.download(res.node_id, tmp_path / "resume.out", workspace=ws)
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_the_token_file_is_written_when_the_core_says_persist(env: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a token file the core hands out Persist actions: the token exists
    # (owner-only) from the session's start while chunks flow, its last save
    # lists every chunk, and it is removed once the file is stored.
    from fastio_core import driver

    client, ws = env
    src = _file(tmp_path, "persisted.bin", 900_001)
    token = tmp_path / "persisted.token"
    writes: List[Dict[str, Any]] = []
    write = driver._write_atomic

    def recording(path: Any, text: str) -> None:
        write(path, text)
        writes.append(json.loads(text))

    monkeypatch.setattr(driver, "_write_atomic", recording)
    seen: List[Any] = []

    def watch(p: fc.Progress) -> None:
        exists = token.exists()
        seen.append((p.chunks_acked, exists, json.loads(token.read_text())["upload_id"] if exists else None))
        if exists:
            assert token.stat().st_mode & 0o077 == 0, oct(token.stat().st_mode)

    t0 = time.monotonic()
    res = client.upload(src, workspace=ws, parallel=2, progress=watch, options=_small_chunks(), token_file=token)
    elapsed = time.monotonic() - t0
    assert res.size == 900_001 and res.upload_id
    assert not token.exists(), "the token is removed once the file is stored"
    assert seen and all(exists for _, exists, _ in seen), seen
    assert {upload for _, _, upload in seen} == {res.upload_id}
    # Saved as the session began (nothing acknowledged), and at once when
    # every chunk was in; at most once a second between.
    assert 2 <= len(writes) <= 3 + int(elapsed), (len(writes), elapsed)
    assert writes[0]["acked"] == [] and writes[0]["upload_id"] == res.upload_id
    assert sorted(a["order"] for a in writes[-1]["acked"]) == list(range(1, 8))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


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
