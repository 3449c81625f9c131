"""``Client.ask``: the core's answer wait driven over real HTTP — against the devserver, and
against a tiny fake server that never holds a poll, to show the wait does not spin."""

from __future__ import annotations

import http.server
import json
import pathlib
import threading
import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import fastio_core as fc
from fastio_core import Client

from conftest import workspace_of



class _Counting(Client):
    """A client that records the path of every request it sends."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.paths: List[str] = []

    def send(self, request: fc.Request, stream: bool = False) -> Any:
        self.paths.append(request.url.split("/current/", 1)[-1])
        return super().send(request, stream)


@pytest.fixture(scope="module")
def env(devserver: Any) -> Tuple[_Counting, str]:
    client = _Counting(devserver.api_key, base_url=devserver.base_url, timeout=60)
    return client, workspace_of(client, "ask")


def test_ask_long_polls_between_reads(env: Tuple[_Counting, str], tmp_path: pathlib.Path) -> None:
    client, ws = env
    doc = tmp_path / "budget.txt"
    doc.write_text("The travel budget is nine hundred euros.\n")
    client.upload(doc, workspace=ws)
    client.paths.clear()
    answer = client.ask(ws, "What is the travel budget?", timeout_s=60)
    assert answer["state"] == "complete"
    assert "nine hundred" in answer["answer"]
    assert answer["chat_id"] and answer["turn_id"]
    details = [p for p in client.paths if "/message/" in p and p.endswith("/details/")]
    polls = [p for p in client.paths if p.startswith("activity/poll/")]
    # Read, (long-poll, read)…: never a tight loop over the details.
    assert 1 <= len(details) <= 4, client.paths
    assert len(polls) == len(details) - 1, client.paths
    assert all("wait=20" in p for p in polls), polls


def test_ask_needs_input_returns_the_clarifying_question(env: Tuple[_Counting, str]) -> None:
    client, ws = env
    answer = client.ask(ws, "so?", timeout_s=60)
    assert answer["state"] == "needs_input"
    assert answer["answer"] is None, "the user's own question is not an answer"
    assert answer["clarification"]["type"] == "clarification"
    assert answer["clarification"]["question"].endswith("?")


def test_answer_wait_ends_on_401(devserver: Any, env: Tuple[_Counting, str]) -> None:
    _, ws = env
    bad = Client("wrong-key-456", base_url=devserver.base_url, timeout=30)
    wait = fc.AnswerWait(bad._core, fc.Target.WORKSPACE(ws), "c1", "m1", fc.AnswerWaitOptions())
    with pytest.raises(fc.FastioError.Api) as ei:
        bad._run_answer_wait(wait)
    assert ei.value.status == 401


def test_poll_wait_over_95_is_refused(env: Tuple[_Counting, str]) -> None:
    client, ws = env
    with pytest.raises(fc.FastioError.InvalidInput) as ei:
        fc.AnswerWait(client._core, fc.Target.WORKSPACE(ws), "c1", "m1", fc.AnswerWaitOptions(poll_wait_s=96))
    assert ei.value.kind == "invalid_param" and "wait" in str(ei.value)


# ---------------------------------------------------------------- a server that never holds
class _Instant(http.server.BaseHTTPRequestHandler):
    """Creates a chat, then says `in_progress` for ever and answers every poll at once with
    the same cursor."""

    hits: List[str] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, body: Dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.hits.append(self.path)
        self._json({"result": True, "response": {"thread": {"thread_id": "c1"}, "turn": {"turn_id": "m1", "status": "pending"}}})

    def do_GET(self) -> None:  # noqa: N802
        self.hits.append(self.path)
        if "/activity/poll/" in self.path:
            self._json({"result": True, "response": {"activity": {}, "lastactivity": "same"}})
        else:
            self._json({"result": True, "response": {"message": {"state": "in_progress", "text": "q"}}})


@pytest.fixture()
def instant() -> Iterator[str]:
    _Instant.hits = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Instant)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/current/"
    finally:
        srv.shutdown()
        srv.server_close()


def test_ask_against_a_server_that_never_holds_does_not_spin(instant: str) -> None:
    client = Client("k", base_url=instant, timeout=10)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        client.ask("4000000000000000001", "anything?", timeout_s=5)
    elapsed = time.monotonic() - t0
    assert 4.5 <= elapsed < 9, elapsed
    # One create, then reads and polls spaced by growing pauses: a handful, not hundreds.
    assert 3 <= len(_Instant.hits) <= 10, _Instant.hits
