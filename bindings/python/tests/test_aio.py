"""The asyncio client (``fastio_core.aio``, on httpx) and the upload sources
(paths, bytes, binary file objects) against the local devserver."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import pathlib
import socket
from typing import Any, List

import pytest

import fastio_core as fc
from fastio_core import Client
from fastio_core.aio import AsyncClient

from conftest import workspace_of


@pytest.fixture(scope="module")
def env(devserver: Any) -> Any:
    return devserver, workspace_of(Client(devserver.api_key, base_url=devserver.base_url), "aio")


def _chunks(size: int = 128 * 1024) -> fc.UploadOptions:
    limits = fc.default_plan_limits()
    limits.single_request_max = 100_000
    limits.chunk_size = size
    return fc.UploadOptions(limits=limits, poll_wait_s=5)


def _data(n: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(n))


def test_an_async_upload_reports_progress_and_downloads_back_verified(env: Any, tmp_path: pathlib.Path) -> None:
    srv, ws = env
    src = tmp_path / "aio.bin"
    src.write_bytes(_data(1_000_003))
    seen: List[fc.Progress] = []

    async def on_progress(p: fc.Progress) -> None:  # a coroutine function is awaited
        seen.append(p)

    async def main() -> Any:
        async with AsyncClient(srv.api_key, base_url=srv.base_url) as client:
            up = await client.upload(src, workspace=ws, parallel=3, progress=on_progress, options=_chunks(), digest="sha256")
            got = await client.download(up.node_id, tmp_path / "aio.out", workspace=ws)
            return up, got

    up, got = asyncio.run(main())
    assert up.size == 1_000_003 and up.node_id
    assert up.digest is not None and up.digest.hex == hashlib.sha256(src.read_bytes()).hexdigest()
    assert seen and seen[-1].chunks_total == 8 and seen[-1].bytes_acked == 1_000_003
    assert (tmp_path / "aio.out").read_bytes() == src.read_bytes()
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_bytes_and_file_objects_upload_like_paths(env: Any, tmp_path: pathlib.Path) -> None:
    srv, ws = env
    data = _data(300_000)
    client = Client(srv.api_key, base_url=srv.base_url)
    from_bytes = client.upload(data, workspace=ws, name="from-bytes.bin", options=_chunks())
    with open(tmp_path / "f.bin", "wb") as f:
        f.write(b"HEADER" + data)
    with open(tmp_path / "f.bin", "rb") as f:
        f.read(6)  # a file object uploads from where it stands
        from_file = client.upload(f, workspace=ws, options=_chunks())

    async def main() -> Any:
        async with AsyncClient(srv.api_key, base_url=srv.base_url) as aclient:
            return await aclient.upload(io.BytesIO(data), workspace=ws, name="from-bytesio.bin", options=_chunks())

    from_bytesio = asyncio.run(main())
    for res in (from_bytes, from_file, from_bytesio):
        assert res.size == 300_000
        back = client.download(res.node_id, tmp_path / "back.bin", workspace=ws)
        assert (tmp_path / "back.bin").read_bytes() == data, back
    with pytest.raises(ValueError, match="needs name="):
        client.upload(data, workspace=ws)
    with pytest.raises(TypeError, match="binary mode"):
        with open(tmp_path / "f.bin", "r") as text:
            client.upload(text, workspace=ws, name="x")
    with pytest.raises(TypeError, match="give a path, bytes or a binary file object"):
        client.upload(12345, workspace=ws)  # type: ignore[arg-type]


def test_a_cancelled_upload_task_leaves_its_token_and_resumes(env: Any, tmp_path: pathlib.Path) -> None:
    srv, ws = env
    src = tmp_path / "cancel.bin"
    src.write_bytes(_data(1_500_000))
    token = tmp_path / "cancel.token"

    async def main() -> Any:
        async with AsyncClient(srv.api_key, base_url=srv.base_url) as client:
            two_acked = asyncio.Event()

            def on_progress(p: fc.Progress) -> None:
                if p.chunks_acked >= 2:
                    two_acked.set()

            task = asyncio.create_task(
                client.upload(src, workspace=ws, parallel=1, progress=on_progress, token_file=token, options=_chunks())
            )
            await asyncio.wait_for(two_acked.wait(), 60)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            saved = json.loads(token.read_text())
            assert saved["upload_id"] and len(saved["acked"]) < 12
            return await client.resume(token, src, parallel=2, options=_chunks())

    res = asyncio.run(main())
    assert res.size == 1_500_000 and res.node_id
    assert not token.exists(), "the token is removed once the file is stored"
    got = Client(srv.api_key, base_url=srv.base_url).download(res.node_id, tmp_path / "cancel.out", workspace=ws)
    assert got.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_transport_failures_are_typed_and_a_proxy_from_the_environment_is_used(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, _ = env

    async def call(base: str) -> Any:
        async with AsyncClient(srv.api_key, base_url=base, timeout=10) as client:
            return await client.call({"orgs": {"op": "list"}})

    with pytest.raises(fc.FastioError.Api) as refused:
        asyncio.run(call(f"http://127.0.0.1:{_closed_port()}/current/"))
    assert refused.value.kind == "transport" and srv.api_key not in str(refused.value)

    # The devserver answers directly; through a proxy named by the
    # environment that is not there, the same call fails, naming the proxy.
    assert asyncio.run(call(srv.base_url))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(fc.FastioError.Api) as through_proxy:
        asyncio.run(call(srv.base_url))
    assert through_proxy.value.kind == "transport"
    assert "proxy" in str(through_proxy.value).lower(), str(through_proxy.value)


def test_requests_are_logged_without_secrets(env: Any, caplog: pytest.LogCaptureFixture) -> None:
    srv, ws = env

    async def main() -> Any:
        async with AsyncClient(srv.api_key, base_url=srv.base_url) as client:
            return [item async for item in client.items({"storage": {"op": "list", "profile": {"workspace": ws}, "folder": "root"}})]

    with caplog.at_level(logging.DEBUG, logger="fastio_core"):
        listed = asyncio.run(main())
    assert isinstance(listed, list)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("fastio_core")]
    assert any(line.startswith("GET ") and "-> 200" in line for line in lines), lines
    assert srv.api_key not in caplog.text
    assert os.environ.get("FASTIO_API_KEY", "\0") not in caplog.text
