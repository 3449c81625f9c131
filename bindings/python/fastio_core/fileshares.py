"""File Shares: durable links to one file, reached as ``client.fileshares``.

Each method names one core call (``{"fileshares": {"op": ...}}``); the core
builds the request (where each parameter goes, the password in its header,
what is refused before sending) and decodes the answer. Downloads stream to a
file beside the destination and replace it only when the whole body arrived.
"""

from __future__ import annotations

import http.client
import json
import os
from typing import Any, Dict, Iterator, List, Optional, Union

from . import fastio_core as _ffi
from .caller import Caller
from .files import create_beside


_READ_BLOCK = 1 << 20
# An error body is read whole to be decoded; a larger one is cut off here and
# reported by the core as too large rather than read without bound.
_MAX_ERROR_BODY = int(_ffi.defaults().max_response_bytes)


def _grantee(user: Optional[str], email: Optional[str]) -> Dict[str, str]:
    if (user is None) == (email is None):
        raise ValueError("give exactly one of user= or email=")
    return {"user": user} if user is not None else {"email": email}  # type: ignore[dict-item]


def _expiry(expires_in: Optional[int], expires_at: Optional[str]) -> Optional[Dict[str, Any]]:
    if expires_in is not None and expires_at is not None:
        raise ValueError("give at most one of expires_in= or expires_at=")
    if expires_in is not None:
        return {"in": expires_in}
    if expires_at is not None:
        return {"at": expires_at}
    return None


class FileShares:
    """Create, manage and consume File Shares."""

    def __init__(self, client: Caller) -> None:
        self._client = client

    def _call(self, op: str, decode: str = "payload", **fields: Any) -> Any:
        body = {"op": op, **{k: v for k, v in fields.items() if v is not None}}
        return self._client.call({"fileshares": body}, decode)

    # -- management (a member's) -----------------------------------------
    def create(
        self,
        workspace: str,
        node: str,
        *,
        title: Optional[str] = None,
        access: Optional[str] = None,
        password: Optional[str] = None,
        expires_in: Optional[int] = None,
        expires_at: Optional[str] = None,
    ) -> Dict[str, Any]:
        """A link to the file ``node``. ``access`` is ``anyone_with_link``
        (the default), ``any_registered`` or ``named_people``."""
        return self._call(
            "create", "fileshare", workspace_id=workspace, node_id=node, title=title,
            access_option=access, password=password, expires=_expiry(expires_in, expires_at),
        )

    def list(self, workspace: str) -> Iterator[Dict[str, Any]]:
        """Every File Share of a workspace, page after page."""
        return self._client.items({"fileshares": {"op": "list", "workspace_id": workspace}})

    def update(
        self,
        fileshare: str,
        *,
        title: Optional[str] = None,
        access: Optional[str] = None,
        password: Optional[str] = None,
        clear_password: bool = False,
        expires_in: Optional[int] = None,
        expires_at: Optional[str] = None,
        clear_expiry: bool = False,
    ) -> Dict[str, Any]:
        """Changes what is given; ``clear_password`` and ``clear_expiry``
        remove the password and the expiry."""
        if clear_password and password is not None:
            raise ValueError("give password= or clear_password=True, not both")
        expiry = _expiry(expires_in, expires_at)
        if clear_expiry and expiry is not None:
            raise ValueError("give an expiry or clear_expiry=True, not both")
        pw: Any = "clear" if clear_password else ({"set": password} if password is not None else None)
        ex: Any = "clear" if clear_expiry else ({"set": expiry} if expiry is not None else None)
        return self._call(
            "update", "fileshare", fileshare_id=fileshare, title=title, access_option=access,
            password=pw, expires=ex,
        )

    def delete(self, fileshare: str) -> None:
        self._call("delete", fileshare_id=fileshare)

    def grants(self, fileshare: str) -> List[Dict[str, Any]]:
        return self._call("grants", "fileshare_grants", fileshare_id=fileshare)["grants"]

    def grant(self, fileshare: str, capability: str, *, user: Optional[str] = None, email: Optional[str] = None) -> Any:
        """Lets a user (by id) or an address ``view``, ``download`` or ``edit``."""
        return self._call("grant_add", fileshare_id=fileshare, grantee=_grantee(user, email), capability=capability)

    def revoke(self, fileshare: str, *, user: Optional[str] = None, email: Optional[str] = None) -> None:
        self._call("grant_remove", fileshare_id=fileshare, grantee=_grantee(user, email))

    # -- consumption (anyone the link admits) ----------------------------
    def details(self, fileshare: str, *, password: Optional[str] = None) -> Dict[str, Any]:
        """The link, its file and ``effective_capability``."""
        return self._call("details", "fileshare_details", fileshare_id=fileshare, password=password)

    def versions(self, fileshare: str, *, password: Optional[str] = None) -> List[Dict[str, Any]]:
        return self._call("versions", fileshare_id=fileshare, password=password)["versions"]

    def download(
        self,
        fileshare: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        password: Optional[str] = None,
        version: Optional[str] = None,
    ) -> int:
        """Writes the file (or one ``version`` of it) to ``path``; returns
        its size. Nothing is left at ``path`` unless the whole body came."""
        if version is None:
            call = {"op": "read", "fileshare_id": fileshare, "password": password}
        else:
            call = {"op": "version_read", "fileshare_id": fileshare, "version_id": version, "password": password}
        return self._fetch(call, path, follow=False)

    def preview(
        self,
        fileshare: str,
        kind: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        password: Optional[str] = None,
    ) -> int:
        """Writes a preview (``thumbnail``, ``image``, ``pdf``…) to ``path``.
        The service answers with a redirect, which the core follows once
        with no credential: neither the key nor the password leaves."""
        call = {"op": "preview", "fileshare_id": fileshare, "preview_type": kind, "password": password}
        return self._fetch(call, path, follow=True)

    def _fetch(self, call: Dict[str, Any], path: Any, *, follow: bool) -> int:
        text = json.dumps({"fileshares": {k: v for k, v in call.items() if v is not None}})
        core = self._client._core
        request = core.build(text)
        response, stream = self._client.send(request, stream=True)
        assert stream is not None
        if follow and 300 <= response.status < 400:
            stream.read()
            request = core.follow_redirect(request.url, response)
            response, stream = self._client.send(request, stream=True)
            assert stream is not None
        if not 200 <= response.status < 300:
            body = stream.read(_MAX_ERROR_BODY + 1)
            failed = _ffi.Response(status=response.status, headers=response.headers, body=body)
            # Raises the typed error the core reads from the answer.
            _ffi.decode_response("payload", failed, core.is_resendable(text), None)
            raise _ffi.FastioError.Usage(f"HTTP {response.status} was not an error to the core")
        declared = next((h.value for h in response.headers if h.name.lower() == "content-length"), None)
        tmp, out_file = create_beside(path, ".part", 0o666)
        try:
            size = 0
            with out_file as out:
                while True:
                    block = stream.read(_READ_BLOCK)
                    if not block:
                        break
                    out.write(block)
                    size += len(block)
            if declared is not None and int(declared) != size:
                raise http.client.IncompleteRead(b"", int(declared) - size)
            os.replace(tmp, path)
            return size
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

