"""Starts a local devserver for the end-to-end tests: 127.0.0.1 only, a
temporary data directory, killed at the end of the session."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import pytest


@dataclass
class Devserver:
    base_url: str
    api_key: str
    origin: str


def _start(binary: str, data: str, key: str) -> "tuple[subprocess.Popen[str], Devserver]":
    proc = subprocess.Popen(
        [binary, "--addr", "127.0.0.1:0", "--data", data, "--api-key", key, "--min-chunk-size", "65536"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: "queue.Queue[str]" = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for _ in range(2):
            lines.put(proc.stdout.readline())

    threading.Thread(target=pump, daemon=True).start()
    try:
        base = lines.get(timeout=30).strip()
        got_key = lines.get(timeout=30).strip()
    except queue.Empty:
        proc.kill()
        raise RuntimeError("the devserver did not print its address within 30 s")
    assert base.startswith("http://127.0.0.1:"), base
    origin = base.split("/current/")[0]
    return proc, Devserver(base, got_key, origin)


@pytest.fixture(scope="session")
def devserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devserver]:
    binary = os.environ.get("FASTIO_DEVSERVER")
    if not binary or not os.path.exists(binary):
        raise RuntimeError("FASTIO_DEVSERVER must name the built fastio-devserver binary (run_tests.sh sets it)")
    proc, srv = _start(binary, str(tmp_path_factory.mktemp("devdata")), "test-key-e2e")
    try:
        yield srv
    finally:
        proc.kill()
        proc.wait(timeout=30)


def workspace_of(client: Any, name: str) -> str:
    """The first workspace the client reaches, created (as ``name``) when there is none."""
    for found in client.items({"orgs": {"op": "all_workspaces"}}):
        return str(found["id"])
    org = next(client.items({"orgs": {"op": "list"}}))
    ws = client.call({"orgs": {"op": "create_workspace", "org_id": str(org["id"]), "name": name, "folder_name": name}}, decode="workspace")
    return str(ws["id"])
