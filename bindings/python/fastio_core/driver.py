"""A small standard-library driver for the Fast.io core.

The core decides (what to send, how to split, when to retry, what to verify,
when to save a resume token); this module only does the I/O: ``http.client``
for requests, streaming file reads, durable token writes, threads for
parallel chunks, and the clock.
"""

from __future__ import annotations

import copy
import http.client
import json
import logging
import os
import queue
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import fastio_core as _ffi
from .files import create_beside as _create_beside, write_atomic as _write_atomic
from .comments import Comments
from .fileshares import FileShares
from .members import Members
from .notes import Notes
from .sources import Source, UploadSource

_log = logging.getLogger("fastio_core")
_DEFAULTS = _ffi.defaults()
DEFAULT_BASE_URL = _DEFAULTS.base_url
DEFAULT_PARALLEL = _DEFAULTS.parallel
_READ_BLOCK = 1 << 20


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


class _Connections:
    """One keep-alive connection per thread and origin."""

    def __init__(self, timeout: float) -> None:
        self._local = threading.local()
        self._timeout = timeout

    def get(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conns: Dict[Tuple[str, str], http.client.HTTPConnection] = getattr(self._local, "c", None) or {}
        self._local.c = conns
        key = (scheme, netloc)
        conn = conns.get(key)
        if conn is None:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = cls(netloc, timeout=self._timeout)
            conns[key] = conn
        return conn

    def drop(self, scheme: str, netloc: str) -> None:
        conns = getattr(self._local, "c", None) or {}
        conn = conns.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()


def _body_parts(request: _ffi.Request, source: Optional[Callable[[int, int], bytes]] = None) -> List[bytes]:
    """The body's pieces in order; ``source`` gives the upload source's bytes
    where a chunk request names a range of it (``host_keeps_chunks``)."""
    parts: List[bytes] = []
    for part in request.body:
        if isinstance(part, _ffi.BodyPart.BYTES):
            parts.append(part.data)
        elif isinstance(part, _ffi.BodyPart.SOURCE) and source is not None:
            data = source(part.offset, part.len)
            if len(data) != part.len:
                raise _ffi.FastioError.Transfer("short_read", f"the source has {len(data)} of {part.len} bytes at {part.offset}")
            parts.append(data)
        else:
            raise _ffi.FastioError.Usage("request body needs host bytes this driver does not hold")
    return parts


class _KeptChunks:
    """Chunks read for the upload machine, kept until their request is sent
    (then moved into it, not copied); a chunk sent again, or dropped as the
    oldest, is read from the file again."""

    def __init__(self, read_at: Callable[[int, int], bytes], cap: int) -> None:
        self._read_at = read_at
        self._cap = max(1, cap)
        self._chunks: "Dict[int, bytes]" = {}
        self._lock = threading.Lock()

    def keep(self, offset: int, data: bytes) -> None:
        with self._lock:
            self._chunks[offset] = data
            while len(self._chunks) > self._cap:
                del self._chunks[next(iter(self._chunks))]

    def get(self, offset: int, length: int) -> bytes:
        with self._lock:
            data = self._chunks.pop(offset, None)
        if data is not None and len(data) == length:
            return data
        return self._read_at(offset, length)


@dataclass
class UploadResult:
    node_id: Optional[str]
    upload_id: Optional[str]
    size: int
    #: Whole-file CRC32C, 8 hex digits (what the server checks).
    crc32c: str = ""
    #: The whole-file digest asked for with ``digest=`` (or ``verify_stored``),
    #: when every byte went through it; ``None`` otherwise.
    digest: Optional[_ffi.UploadDigest] = None
    #: The end-to-end check against the stored node (``verify_stored=True``).
    stored: Optional[_ffi.StoredCheck] = None


@dataclass
class DownloadResult:
    node_id: str
    size: int
    sha256: str
    crc32c: str
    checked_algo: Optional[str]


class Client:
    """A Fast.io client: ``Client(api_key, base_url=...)``."""

    def __init__(
        self,
        api_key: Optional[str],
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 120.0,
        user_agent: Optional[str] = None,
    ) -> None:
        # Without a key only calls that may be anonymous work (a File Share
        # recipient's); the others are refused before anything is sent.
        self._core = _ffi.CoreClient(base_url, api_key, user_agent)
        self._conns = _Connections(timeout)
        self.timeout = timeout
        self.fileshares = FileShares(self)
        self.notes = Notes(self)
        self.comments = Comments(self)
        self.members = Members(self)

    def __repr__(self) -> str:
        return f"Client(base_url={self._core.base_url()!r})"

    # -- plumbing -------------------------------------------------------
    def send(self, request: _ffi.Request, stream: bool = False) -> Tuple[_ffi.Response, Optional[http.client.HTTPResponse]]:
        """Sends a request. With ``stream`` the body is left unread in the
        returned ``HTTPResponse``; otherwise it is in the ``Response``."""
        return self._send(request, stream)

    def _send(
        self, request: _ffi.Request, stream: bool = False, source: Optional[Callable[[int, int], bytes]] = None
    ) -> Tuple[_ffi.Response, Optional[http.client.HTTPResponse]]:
        url = urllib.parse.urlsplit(request.url)
        target = url.path + ("?" + url.query if url.query else "")
        parts = _body_parts(request, source)
        headers = {h.name: h.value for h in request.headers}
        body: Any
        if len(parts) > 1:
            # Written piece by piece: a chunk is not copied into one buffer
            # first (the stated length keeps the body length-delimited).
            body = parts
            headers["Content-Length"] = str(sum(len(p) for p in parts))
        else:
            body = parts[0] if parts else b""
        for attempt in range(2):
            conn = self._conns.get(url.scheme, url.netloc)
            try:
                conn.request(request.method, target, body=body if body or request.method in ("POST", "PUT", "PATCH") else None, headers=headers)
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed: reconnect once.
                self._conns.drop(url.scheme, url.netloc)
                if attempt == 1:
                    raise
                continue
            except Exception:
                self._conns.drop(url.scheme, url.netloc)
                raise
            _log.debug("%s %s -> %d", request.method, where(request.url), resp.status)
            head = [_ffi.Header(name=k, value=v) for k, v in resp.getheaders()]
            if stream:
                return _ffi.Response(status=resp.status, headers=head, body=b""), resp
            data = resp.read()
            return _ffi.Response(status=resp.status, headers=head, body=data), None
        raise AssertionError("unreachable")

    def call(self, call: Mapping[str, Any], decode: str = "payload") -> Any:
        """Builds, sends and decodes one call given as a dict
        (``{"storage": {"op": "list", ...}}``); returns the decoded JSON."""
        text = json.dumps(call)
        request = self._core.build(text)
        response, _ = self.send(request)
        decoded = _ffi.decode_response(decode, response, self._core.is_resendable(text), None)
        return json.loads(decoded.value_json)

    # -- uploads --------------------------------------------------------
    def upload(
        self,
        source: Source,
        workspace: Optional[str] = None,
        folder: str = "root",
        *,
        share: Optional[str] = None,
        name: Optional[str] = None,
        parallel: int = DEFAULT_PARALLEL,
        progress: Optional[Callable[[_ffi.Progress], None]] = None,
        token_file: Optional[Union[str, os.PathLike]] = None,
        options: Optional[_ffi.UploadOptions] = None,
        server_limits: bool = False,
        digest: Optional[str] = None,
        verify_stored: bool = False,
    ) -> UploadResult:
        """Uploads a file: ``source`` is a path, bytes or a binary file object
        (from its current position; ``name=`` is needed for bytes and for a
        file object without one). With ``token_file`` the resume token is saved there
        whenever the core hands one out (and removed when the file is stored).
        With ``server_limits`` the core asks the server's
        ``GET /upload/limits/`` first and plans with its answer; a server that
        does not answer leaves the options as given. ``digest`` (``"sha256"``,
        ``"md5"``…) computes that whole-file digest for the result; with
        ``verify_stored`` the stored node's hash is checked against the bytes
        read (a difference raises ``FastioError.Integrity``)."""
        target = target_of(workspace, share)
        opts = upload_options(options, parallel, server_limits, digest, verify_stored, token_file is not None)
        with UploadSource(source, name) as src:
            req = _ffi.UploadRequest(name=src.name, size=src.size, target=target, folder_id=folder)
            up = _ffi.Upload(self._core, req, opts)
            return self._run_upload(up, src, parallel, progress, token_file)

    def resume(
        self,
        token_file: Union[str, os.PathLike],
        source: Source,
        *,
        parallel: int = DEFAULT_PARALLEL,
        progress: Optional[Callable[[_ffi.Progress], None]] = None,
        options: Optional[_ffi.UploadOptions] = None,
        digest: Optional[str] = None,
        verify_stored: bool = False,
    ) -> UploadResult:
        """Continues an upload from its token file; the server is asked first
        which chunks it holds, and only the rest are read and sent. The token
        file is kept up to date while it runs and removed once the file is stored.
        ``digest`` and ``verify_stored`` as for ``upload``: a digest whose state
        the token does not carry is reported missing (``None``), never made up."""
        with open(token_file, "r", encoding="utf-8") as f:
            token = f.read()
        opts = upload_options(options, parallel, False, digest, verify_stored, True)
        with UploadSource(source, "resumed") as src:
            up = _ffi.Upload.resume(self._core, token, opts)
            return self._run_upload(up, src, parallel, progress, token_file)

    def _run_upload(self, up: _ffi.Upload, src: UploadSource, parallel: int, progress: Any, token_file: Any) -> UploadResult:
        answers: "queue.Queue[Tuple[int, Optional[_ffi.Response], Optional[str]]]" = queue.Queue()
        outstanding = 0
        sem = max(1, parallel)
        work: "queue.Queue[Optional[Tuple[int, _ffi.Request]]]" = queue.Queue()

        def worker() -> None:
            while True:
                item = work.get()
                if item is None:
                    return
                rid, request = item
                try:
                    resp, _ = self._send(request, source=kept.get)
                    answers.put((rid, resp, None))
                except Exception as e:  # any transport failure goes back to the core
                    answers.put((rid, None, f"{type(e).__name__}: {e}"))

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(sem)]
        for t in threads:
            t.start()
        try:
            kept = _KeptChunks(src.read_at, sem + 1)
            wait_until: Optional[int] = None
            while True:
                now = _now_ms()
                action = up.next_action(now)
                if action is None or isinstance(action, _ffi.UploadAction.WAIT):
                    if isinstance(action, _ffi.UploadAction.WAIT):
                        wait_until = action.until_ms
                    if outstanding == 0 and wait_until is None:
                        raise _ffi.FastioError.Usage("upload stalled: nothing outstanding and nothing to do")
                    timeout = None if wait_until is None else max(0.0, (wait_until - _now_ms()) / 1000)
                    try:
                        rid, resp, err = answers.get(timeout=timeout)
                    except queue.Empty:
                        wait_until = None
                        up.on_timeout(_now_ms())
                        continue
                    outstanding -= 1
                    wait_until = None
                    # A late answer to a request the core gave up on is
                    # `Fed.IGNORED`: nothing to do.
                    if resp is not None:
                        up.on_response(rid, resp, _now_ms())
                    else:
                        up.on_transport_error(rid, err or "transport failure", _now_ms())
                    continue
                if isinstance(action, _ffi.UploadAction.SEND):
                    outstanding += 1
                    work.put((action.id, action.request))
                elif isinstance(action, _ffi.UploadAction.READ):
                    data = src.read_at(action.offset, action.len)
                    up.on_data(action.id, data, _now_ms())
                    kept.keep(action.offset, data)
                elif isinstance(action, _ffi.UploadAction.PERSIST):
                    if token_file is not None:
                        _write_atomic(token_file, action.token_json)
                elif isinstance(action, _ffi.UploadAction.PROGRESS):
                    if progress is not None:
                        progress(action.progress)
                elif isinstance(action, _ffi.UploadAction.DONE):
                    if token_file is not None and os.path.exists(token_file):
                        os.remove(token_file)
                    return UploadResult(
                        action.node_id, action.upload_id, action.size, action.crc32c, action.digest, action.stored
                    )
        finally:
            for _ in threads:
                work.put(None)

    # -- downloads ------------------------------------------------------
    def download(
        self,
        node: str,
        path: Union[str, os.PathLike],
        workspace: Optional[str] = None,
        *,
        share: Optional[str] = None,
        progress: Optional[Callable[[int, Optional[int]], None]] = None,
    ) -> DownloadResult:
        """Downloads a file to ``path``, verified against the server's digest
        as it streams; on any failure the partial file is removed."""
        target = target_of(workspace, share)
        dl = _ffi.Download(self._core, _ffi.DownloadRequest(target=target, node_id=node), _ffi.DownloadOptions())
        tmp, out_file = _create_beside(path, ".part", 0o666)
        try:
            with out_file as out:
                held = None  # an action the machine gave while the body flowed
                for _ in range(10_000):
                    now = _now_ms()
                    action, held = (held, None) if held is not None else (dl.next_action(now), None)
                    if action is None:
                        raise _ffi.FastioError.Usage("download stalled")
                    if isinstance(action, _ffi.DownloadAction.WAIT):
                        time.sleep(max(0.0, (action.until_ms - _now_ms()) / 1000))
                        dl.on_timeout(_now_ms())
                    elif isinstance(action, _ffi.DownloadAction.PROGRESS):
                        if progress is not None:
                            progress(action.bytes, action.total)
                    elif isinstance(action, _ffi.DownloadAction.SEND):
                        try:
                            resp, stream = self.send(action.request, stream=action.streams_body)
                        except Exception as e:
                            dl.on_transport_error(action.id, f"{type(e).__name__}: {e}", _now_ms())
                            continue
                        fed = dl.on_response(action.id, resp, _now_ms())
                        if stream is not None:
                            # The body of an ignored (late) head belongs to no request.
                            if fed != _ffi.Fed.ACCEPTED or not 200 <= resp.status < 300:
                                stream.read()
                                continue
                            try:
                                while held is None:
                                    block = stream.read(_READ_BLOCK)
                                    if not block:
                                        dl.on_end(action.id)
                                        break
                                    out.write(block)
                                    dl.on_data(action.id, block)
                                    # Between pieces the machine reports progress and
                                    # ends a body that arrives too slowly.
                                    between = dl.next_action(_now_ms())
                                    if isinstance(between, _ffi.DownloadAction.PROGRESS):
                                        if progress is not None:
                                            progress(between.bytes, between.total)
                                    elif between is not None and not isinstance(between, _ffi.DownloadAction.WAIT):
                                        held = between
                            except (OSError, http.client.HTTPException) as e:
                                dl.on_transport_error(action.id, f"{type(e).__name__}: {e}", _now_ms())
                    elif isinstance(action, _ffi.DownloadAction.DONE):
                        out.close()
                        os.replace(tmp, path)
                        return DownloadResult(action.node_id, action.size, action.sha256, action.crc32c, action.checked_algo)
                raise _ffi.FastioError.Usage("download did not finish within its action budget")
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    # -- everyday calls -------------------------------------------------
    def pages(self, call: Mapping[str, Any], *, max_pages: Optional[int] = None) -> Iterator[_ffi.Page]:
        """Walks a paged listing given as a dict (``{"orgs": {"op":
        "all_workspaces"}}``), yielding each page; the core decides how it
        pages, where its items are and when it ends. A page that fails raises
        ``FastioError`` (the walk can be resumed by iterating a new pager)."""
        pager = _ffi.Pager(self._core, json.dumps(call), max_pages)
        while True:
            request = pager.next_request()
            if request is None:
                return
            response, _ = self.send(request)
            yield pager.on_response(response)

    def items(self, call: Mapping[str, Any], *, max_pages: Optional[int] = None) -> Iterator[Any]:
        """Every item of a paged listing, decoded from JSON, page after page."""
        for page in self.pages(call, max_pages=max_pages):
            for item in page.items_json:
                yield json.loads(item)

    def search(
        self,
        query: str,
        workspace: Optional[str] = None,
        *,
        share: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[Dict[str, Any]]:
        """A unified search over files, metadata (workspaces only) and
        comments, every bucket walked to its end on its own. Yields
        ``{"bucket", "id", "item"}``. A bucket the service reports as
        degraded may be partial: it is logged as a warning and not walked
        further."""
        if (workspace is None) == (share is None):
            raise ValueError("give exactly one of workspace= or share=")
        profile = {"workspace": workspace} if workspace is not None else {"share": share}
        call: Dict[str, Any] = {"op": "unified", "profile": profile, "search": query}
        if page_size is not None:
            for bucket in ("files", "comments") + (("metadata",) if workspace is not None else ()):
                call[bucket] = {"limit": page_size}
        for page in self.pages({"search": call}):
            for bucket in page.degraded:
                _log.warning("search %r: the %s bucket is degraded; its results may be partial", query, bucket)
            for item in page.items_json:
                yield json.loads(item)

    def list(self, workspace: str, folder: str = "root", *, page_size: int = 500) -> List[Dict[str, Any]]:
        """Every node in a folder, following the cursor."""
        call = {"storage": {"op": "list", "profile": {"workspace": workspace}, "folder": folder, "page_size": page_size}}
        return list(self.items(call))

    def share(self, workspace: str, title: str, *, share_type: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """Creates a share in a workspace; returns the decoded share.

        Without ``share_type`` the server's default (``exchange``) applies."""
        call: Dict[str, Any] = {"op": "create", "workspace_id": workspace, "title": title, **fields}
        if share_type is not None:
            call["share_type"] = share_type
        # Decoded as the plain payload: the typed `share` model refuses a
        # payload carrying both `id` and `share_id`, which servers send.
        created = self.call({"shares": call})
        return created.get("share", created) if isinstance(created, dict) else created

    def ask(
        self,
        workspace: Optional[str],
        question: str,
        *,
        share: Optional[str] = None,
        timeout_s: float = 300.0,
        poll_wait_s: int = 20,
    ) -> Dict[str, Any]:
        """Asks the workspace (or ``share=``) AI and waits for the final turn.

        The core's answer wait decides what to send and when: it reads the
        turn, long-polls the profile's activity between reads (``poll_wait_s``
        seconds each, at most 95) and stops at ``complete``, ``errored`` or
        ``needs_input``. This method only sends and sleeps. Returns
        ``{"chat_id", "turn_id", "state", "answer", "citations",
        "clarification", "raw"}``; ``clarification`` is ``{"type",
        "question"}`` on ``needs_input``. Raises ``TimeoutError`` when
        ``timeout_s`` passes first, ``FastioError.Api`` (status 401 among
        others) when the server refuses."""
        target = target_of(workspace, share)
        profile = {"workspace": workspace} if workspace is not None else {"share": share}
        ref = self.call({"ai": {"op": "agent_create", "profile": profile, "question": question}}, decode="ai_turn_ref")
        chat, turn = ref.get("thread_id"), ref.get("turn_id")
        if not chat or not turn:
            raise _ffi.FastioError.Usage("the AI answer carries no chat or message id")
        options = _ffi.AnswerWaitOptions(budget_ms=int(timeout_s * 1000), poll_wait_s=poll_wait_s)
        wait = _ffi.AnswerWait(self._core, target, chat, turn, options)
        try:
            done = self._run_answer_wait(wait)
        except _ffi.FastioError.Transfer as e:
            if e.kind == "timed_out":
                raise TimeoutError(f"no final AI answer within {timeout_s} s") from e
            raise
        clar = done.clarification
        return {
            "chat_id": chat,
            "turn_id": turn,
            "state": done.state,
            "answer": done.answer,
            "citations": json.loads(done.citations_json),
            "clarification": None if clar is None else {"type": clar.kind, "question": clar.question},
            "raw": json.loads(done.raw_json),
        }

    def _run_answer_wait(self, wait: _ffi.AnswerWait) -> _ffi.AiTurn:
        """The I/O of an answer wait: send each request, sleep until each
        deadline, hand every answer back."""
        while True:
            action = wait.next_action(_now_ms())
            if action is None:
                raise _ffi.FastioError.Usage("the answer wait stopped without an answer")
            if isinstance(action, _ffi.AnswerWaitAction.DONE):
                return action.turn
            if isinstance(action, _ffi.AnswerWaitAction.WAIT):
                time.sleep(max(0.0, (action.until_ms - _now_ms()) / 1000))
                wait.on_timeout(_now_ms())
            elif isinstance(action, _ffi.AnswerWaitAction.SEND):
                try:
                    resp, _ = self.send(action.request)
                except (OSError, http.client.HTTPException) as e:
                    wait.on_transport_error(action.id, f"{type(e).__name__}: {e}", _now_ms())
                    continue
                wait.on_response(action.id, resp, _now_ms())


def where(url: str) -> str:
    """A URL for the log: scheme, host and path; a query may carry a token."""
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc}{u.path}"


def target_of(workspace: Optional[str], share: Optional[str]) -> _ffi.Target:
    """Where a transfer goes: exactly one of a workspace or a share."""
    if (workspace is None) == (share is None):
        raise ValueError("give exactly one of workspace= or share=")
    return _ffi.Target.WORKSPACE(workspace) if workspace is not None else _ffi.Target.SHARE(share)  # type: ignore[arg-type]


def upload_options(
    options: Optional[_ffi.UploadOptions],
    parallel: int,
    server_limits: bool,
    digest: Optional[str],
    verify_stored: bool,
    persist_token: bool,
) -> _ffi.UploadOptions:
    """The options an upload runs with, from what the caller gave."""
    opts = _with_parallel(options or _ffi.UploadOptions(), parallel)
    if server_limits:
        opts.fetch_limits = True
    _with_digest(opts, digest, verify_stored)
    opts.persist_token = persist_token
    # The drivers read the source, so they keep the chunks and write them
    # into their requests themselves (one copy into the core, none back out).
    opts.host_keeps_chunks = True
    return opts


def _with_digest(opts: _ffi.UploadOptions, digest: Optional[str], verify_stored: bool) -> None:
    if digest is not None:
        opts.file_digest = digest
    if verify_stored:
        opts.verify_stored = True


def _with_parallel(opts: _ffi.UploadOptions, parallel: int) -> _ffi.UploadOptions:
    """A copy of ``opts`` with at most ``parallel`` chunks in flight (and no
    more than its own limits allow, when it gives limits)."""
    opts = copy.copy(opts)
    limits = copy.copy(opts.limits) if opts.limits else _ffi.default_plan_limits()
    limits.max_in_flight = max(1, min(parallel, limits.max_in_flight if opts.limits else parallel))
    opts.limits = limits
    return opts


_verifiers: Dict[Tuple[str, Tuple[str, ...], int], _ffi.WebhookVerifier] = {}
_verifiers_lock = threading.Lock()


def verify_webhook(
    headers: Union[Mapping[str, str], Iterable[Tuple[str, str]]],
    raw_body: bytes,
    secret: Union[str, Sequence[str]],
    *,
    scheme: Union[str, _ffi.WebhookScheme] = "fastio",
    tolerance_s: int = 300,
    now: Optional[int] = None,
) -> _ffi.Delivery:
    """Verifies a delivery. ``headers`` may be a dict, Flask's / Django's
    header objects (``request.headers``) or FastAPI's ``request.headers``;
    ``raw_body`` must be the bytes as received (``request.get_data()``,
    ``await request.body()``, ``request.body``). Raises
    ``FastioError.Webhook`` with a stable ``kind`` when refused."""
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    items = headers.items() if hasattr(headers, "items") else headers
    pairs = [_ffi.Header(name=str(k), value=str(v)) for k, v in items]  # type: ignore[union-attr]
    if isinstance(scheme, str):
        key = (scheme, secrets, tolerance_s)
        with _verifiers_lock:
            v = _verifiers.get(key)
            if v is None:
                # The names are the core's; an unknown one raises
                # FastioError.Webhook (kind invalid_scheme) listing them.
                check = _ffi.TimestampCheck.WITHIN(tolerance_s, tolerance_s)
                v = _ffi.WebhookVerifier(_ffi.webhook_scheme_named(scheme), list(secrets), check, None)
                _verifiers[key] = v
    else:
        v = _ffi.WebhookVerifier(scheme, list(secrets), _ffi.TimestampCheck.WITHIN(tolerance_s, tolerance_s), None)
    return v.verify(pairs, bytes(raw_body), int(time.time()) if now is None else now)
