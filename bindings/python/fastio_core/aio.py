"""An asyncio client for the Fast.io core, on httpx (``pip install
'fastio-core[aio]'``), with the blocking ``Client``'s API shape.

The core decides (what to send, how to split, when to retry, what to verify,
when to save a resume token); this module only does the I/O: httpx for
requests (proxies from ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, as httpx
reads them), chunk requests as tasks, file reads and token writes in worker
threads, and the event loop's clock.

Cancelling the task of an ``upload`` stops every request in flight and
leaves the token file as the core last had it saved, for ``resume``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import urllib.parse
import urllib.request
from typing import Any, AsyncIterator, Callable, List, Mapping, Optional, Tuple, Union

try:
    import httpx
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("fastio_core.aio needs httpx: pip install 'fastio-core[aio]'") from e

from . import fastio_core as _ffi
from .driver import (
    DEFAULT_BASE_URL,
    DEFAULT_PARALLEL,
    DownloadResult,
    UploadResult,
    _body_parts,
    _KeptChunks,
    _now_ms,
    target_of,
    upload_options,
    where,
)
from .files import create_beside as _create_beside, write_atomic as _write_atomic
from .sources import Source, UploadSource

_log = logging.getLogger("fastio_core.aio")
_READ_BLOCK = 1 << 20
# The driver sets these from the body it sends; the core's values would be
# sent twice.
_OWN_HEADERS = {"content-length", "host", "transfer-encoding"}


def _transport_error(e: BaseException, url: str, trust_env: bool) -> _ffi.FastioError:
    """A failure without an HTTP answer, typed as the core types it; the
    message names the proxy the request went through, if any."""
    proxy = _proxy_for(url) if trust_env else None
    via = f" through the proxy {proxy}" if proxy else ""
    return _ffi.FastioError.Api(
        "transport", f"no answer{via}: {type(e).__name__}: {e}", None, None, None, _ffi.RetryDecision.BACKOFF(), [], "{}"
    )


def _proxy_for(url: str) -> Optional[str]:
    """The environment's proxy for ``url`` (as httpx reads it), without any
    credentials it carries."""
    u = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(u.scheme)
    if not proxy or urllib.request.proxy_bypass(u.hostname or ""):
        return None
    p = urllib.parse.urlsplit(proxy)
    return f"{p.scheme}://{p.hostname}" + (f":{p.port}" if p.port else "")


async def _pieces(parts: List[bytes]) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


class AsyncClient:
    """A Fast.io client for asyncio: ``async with AsyncClient(api_key) as c``.

    ``http`` is an ``httpx.AsyncClient`` of your own (it stays yours to
    close); otherwise one is made with ``timeout`` seconds of silence allowed
    per request, following no redirects (the core decides those) and reading
    proxies from the environment."""

    def __init__(
        self,
        api_key: Optional[str],
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 120.0,
        user_agent: Optional[str] = None,
        http: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self._core = _ffi.CoreClient(base_url, api_key, user_agent)
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=True)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self._core.base_url()!r})"

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # -- plumbing -------------------------------------------------------
    async def send(self, request: _ffi.Request, stream: bool = False) -> Tuple[_ffi.Response, Optional[httpx.Response]]:
        """Sends a request the core built. With ``stream`` the body is left
        unread in the returned ``httpx.Response`` (close it); otherwise it is
        in the ``Response``. A failure without an answer raises
        ``FastioError.Api`` of kind ``transport``."""
        try:
            return await self._send(request, stream)
        except httpx.HTTPError as e:
            raise _transport_error(e, request.url, self._http.trust_env) from e

    async def _send(
        self, request: _ffi.Request, stream: bool = False, source: Optional[Callable[[int, int], bytes]] = None
    ) -> Tuple[_ffi.Response, Optional[httpx.Response]]:
        parts = _body_parts(request, source)
        headers = [(h.name, h.value) for h in request.headers if h.name.lower() not in _OWN_HEADERS]
        content: Any = None
        if len(parts) > 1:
            # Sent piece by piece with the stated length: a chunk is not
            # joined into one buffer first.
            content = _pieces(parts)
            headers.append(("Content-Length", str(sum(len(p) for p in parts))))
        elif parts:
            content = parts[0]
        req = self._http.build_request(request.method, request.url, headers=headers, content=content)
        resp = await self._http.send(req, stream=stream)
        _log.debug("%s %s -> %d", request.method, where(request.url), resp.status_code)
        head = [_ffi.Header(name=k, value=v) for k, v in resp.headers.multi_items()]
        if stream:
            return _ffi.Response(status=resp.status_code, headers=head, body=b""), resp
        return _ffi.Response(status=resp.status_code, headers=head, body=resp.content), None

    async def call(self, call: Mapping[str, Any], decode: str = "payload") -> Any:
        """Builds, sends and decodes one call given as a dict
        (``{"storage": {"op": "list", ...}}``); returns the decoded JSON."""
        text = json.dumps(call)
        response, _ = await self.send(self._core.build(text))
        decoded = _ffi.decode_response(decode, response, self._core.is_resendable(text), None)
        return json.loads(decoded.value_json)

    # -- uploads --------------------------------------------------------
    async def upload(
        self,
        source: Source,
        workspace: Optional[str] = None,
        folder: str = "root",
        *,
        share: Optional[str] = None,
        name: Optional[str] = None,
        parallel: int = DEFAULT_PARALLEL,
        progress: Optional[Callable[[_ffi.Progress], Any]] = None,
        token_file: Optional[Union[str, os.PathLike]] = None,
        options: Optional[_ffi.UploadOptions] = None,
        server_limits: bool = False,
        digest: Optional[str] = None,
        verify_stored: bool = False,
    ) -> UploadResult:
        """Uploads a path, bytes or a binary file object, ``parallel`` chunk
        requests at a time; the arguments are the blocking ``upload``'s.
        ``progress`` may be a function or a coroutine function."""
        target = target_of(workspace, share)
        opts = upload_options(options, parallel, server_limits, digest, verify_stored, token_file is not None)
        with UploadSource(source, name) as src:
            req = _ffi.UploadRequest(name=src.name, size=src.size, target=target, folder_id=folder)
            up = _ffi.Upload(self._core, req, opts)
            return await self._run_upload(up, src, parallel, progress, token_file)

    async def resume(
        self,
        token_file: Union[str, os.PathLike],
        source: Source,
        *,
        parallel: int = DEFAULT_PARALLEL,
        progress: Optional[Callable[[_ffi.Progress], Any]] = None,
        options: Optional[_ffi.UploadOptions] = None,
        digest: Optional[str] = None,
        verify_stored: bool = False,
    ) -> UploadResult:
        """Continues an upload from its token file: the server is asked which
        chunks it holds and only the rest are read and sent."""
        token = await asyncio.to_thread(_read_text, token_file)
        opts = upload_options(options, parallel, False, digest, verify_stored, True)
        with UploadSource(source, "resumed") as src:
            up = _ffi.Upload.resume(self._core, token, opts)
            return await self._run_upload(up, src, parallel, progress, token_file)

    async def _run_upload(
        self, up: _ffi.Upload, src: UploadSource, parallel: int, progress: Any, token_file: Any
    ) -> UploadResult:
        answers: "asyncio.Queue[Tuple[int, Optional[_ffi.Response], Optional[str]]]" = asyncio.Queue()
        kept = _KeptChunks(src.read_at, max(1, parallel) + 1)
        in_flight: "set[asyncio.Task[None]]" = set()

        async def send_one(rid: int, request: _ffi.Request) -> None:
            try:
                resp, _ = await self._send(request, source=kept.get)
                answers.put_nowait((rid, resp, None))
            except (httpx.HTTPError, OSError) as e:
                # Every transport failure goes back to the core, which decides.
                answers.put_nowait((rid, None, f"{type(e).__name__}: {e}"))

        outstanding = 0
        wait_until: Optional[int] = None
        try:
            while True:
                action = up.next_action(_now_ms())
                if action is None or isinstance(action, _ffi.UploadAction.WAIT):
                    if isinstance(action, _ffi.UploadAction.WAIT):
                        wait_until = action.until_ms
                    if outstanding == 0 and wait_until is None:
                        raise _ffi.FastioError.Usage("upload stalled: nothing outstanding and nothing to do")
                    timeout = None if wait_until is None else max(0.0, (wait_until - _now_ms()) / 1000)
                    try:
                        rid, resp, err = await asyncio.wait_for(answers.get(), timeout)
                    except asyncio.TimeoutError:
                        wait_until = None
                        up.on_timeout(_now_ms())
                        continue
                    outstanding -= 1
                    wait_until = None
                    if resp is not None:
                        up.on_response(rid, resp, _now_ms())
                    else:
                        up.on_transport_error(rid, err or "transport failure", _now_ms())
                elif isinstance(action, _ffi.UploadAction.SEND):
                    outstanding += 1
                    task = asyncio.create_task(send_one(action.id, action.request))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                elif isinstance(action, _ffi.UploadAction.READ):
                    data = await asyncio.to_thread(src.read_at, action.offset, action.len)
                    up.on_data(action.id, data, _now_ms())
                    kept.keep(action.offset, data)
                elif isinstance(action, _ffi.UploadAction.PERSIST):
                    if token_file is not None:
                        await asyncio.to_thread(_write_atomic, token_file, action.token_json)
                elif isinstance(action, _ffi.UploadAction.PROGRESS):
                    if progress is not None:
                        await _maybe_await(progress(action.progress))
                elif isinstance(action, _ffi.UploadAction.DONE):
                    if token_file is not None and os.path.exists(token_file):
                        os.remove(token_file)
                    return UploadResult(
                        action.node_id, action.upload_id, action.size, action.crc32c, action.digest, action.stored
                    )
        finally:
            # Cancelled, failed or done: nothing keeps sending for this upload.
            for task in list(in_flight):
                task.cancel()
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)

    # -- downloads ------------------------------------------------------
    async def download(
        self,
        node: str,
        path: Union[str, os.PathLike],
        workspace: Optional[str] = None,
        *,
        share: Optional[str] = None,
        progress: Optional[Callable[[int, Optional[int]], Any]] = None,
    ) -> DownloadResult:
        """Downloads a file to ``path``, verified as it streams; on any failure
        (cancellation included) the partial file is removed."""
        target = target_of(workspace, share)
        dl = _ffi.Download(self._core, _ffi.DownloadRequest(target=target, node_id=node), _ffi.DownloadOptions())
        tmp, out_file = _create_beside(path, ".part", 0o666)
        try:
            with out_file as out:
                held = None  # an action the machine gave while the body flowed
                for _ in range(10_000):
                    action, held = (held, None) if held is not None else (dl.next_action(_now_ms()), None)
                    if action is None:
                        raise _ffi.FastioError.Usage("download stalled")
                    if isinstance(action, _ffi.DownloadAction.WAIT):
                        await asyncio.sleep(max(0.0, (action.until_ms - _now_ms()) / 1000))
                        dl.on_timeout(_now_ms())
                    elif isinstance(action, _ffi.DownloadAction.PROGRESS):
                        if progress is not None:
                            await _maybe_await(progress(action.bytes, action.total))
                    elif isinstance(action, _ffi.DownloadAction.SEND):
                        try:
                            resp, stream = await self._send(action.request, stream=action.streams_body)
                        except httpx.HTTPError as e:
                            dl.on_transport_error(action.id, f"{type(e).__name__}: {e}", _now_ms())
                            continue
                        fed = dl.on_response(action.id, resp, _now_ms())
                        if stream is None:
                            continue
                        try:
                            # The body of an ignored (late) head belongs to no request.
                            if fed != _ffi.Fed.ACCEPTED or not 200 <= resp.status < 300:
                                continue
                            async for block in stream.aiter_bytes(_READ_BLOCK):
                                await asyncio.to_thread(out.write, block)
                                dl.on_data(action.id, block)
                                # Between pieces the machine reports progress and
                                # ends a body that arrives too slowly.
                                between = dl.next_action(_now_ms())
                                if isinstance(between, _ffi.DownloadAction.PROGRESS):
                                    if progress is not None:
                                        await _maybe_await(progress(between.bytes, between.total))
                                elif between is not None and not isinstance(between, _ffi.DownloadAction.WAIT):
                                    held = between
                                    break
                            else:
                                dl.on_end(action.id)
                        except httpx.HTTPError as e:
                            dl.on_transport_error(action.id, f"{type(e).__name__}: {e}", _now_ms())
                        finally:
                            await stream.aclose()
                    elif isinstance(action, _ffi.DownloadAction.DONE):
                        out.close()
                        os.replace(tmp, path)
                        return DownloadResult(action.node_id, action.size, action.sha256, action.crc32c, action.checked_algo)
                raise _ffi.FastioError.Usage("download did not finish within its action budget")
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    # -- listings -------------------------------------------------------
    async def pages(self, call: Mapping[str, Any], *, max_pages: Optional[int] = None) -> AsyncIterator[_ffi.Page]:
        """Each page of a paged listing given as a dict; the core decides how
        it pages, where its items are and when it ends."""
        pager = _ffi.Pager(self._core, json.dumps(call), max_pages)
        while True:
            request = pager.next_request()
            if request is None:
                return
            response, _ = await self.send(request)
            yield pager.on_response(response)

    async def items(self, call: Mapping[str, Any], *, max_pages: Optional[int] = None) -> AsyncIterator[Any]:
        """Every item of a paged listing, decoded from JSON, page after page."""
        async for page in self.pages(call, max_pages=max_pages):
            for item in page.items_json:
                yield json.loads(item)


def _read_text(path: Union[str, os.PathLike]) -> str:
    with open(path, "r", encoding="utf-8") as f:
        return f.read()
